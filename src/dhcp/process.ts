// Launches the DHCP server as its own process inside a pod's network namespace:
// `ip netns exec NS setpriv --bounding-set -all,+net_bind_service node dist/dhcp/server-main.js
// --config FILE`. The bounding set leaves the process CAP_NET_BIND_SERVICE only (the privilege split:
// it can bind port 67 but cannot create or change devices). Resolves once the child prints `ready`;
// on failure the child is gone and the error says why.
import { once } from 'node:events';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { VirtnetError } from '../errors/virtnet-error.js';
import { minimalEnv, startProgram } from '../exec/run-program.js';
import { assertNetnsName } from '../host/netns.js';

type ChildProcess = ReturnType<typeof startProgram>;

/** How to start one pod's DHCP server. */
export interface Dhcp4ProcessOptions {
  /** Named network namespace (as `ip netns` knows it). */
  netns: string;
  /** A Dhcp4ServerConfig JSON file. */
  configPath: string;
  /** Append the server's JSON log lines here (default: kept in memory for error reports only). */
  logPath?: string;
  /** How long to wait for `ready` (default 15 s). */
  readyTimeoutMs?: number;
}

/** A running DHCP server process. */
export interface Dhcp4Process {
  pid: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. Idempotent. */
  stop(): Promise<void>;
}

const here = fileURLToPath(import.meta.url);
const repoRoot = resolve(dirname(here), '..', '..');

/**
 * V8 flags for the server. It idles for seconds between a guest's requests; by default V8 then
 * shrinks the heap (memory reducer) and ages out bytecode, so the next request first pays for
 * page faults and recompiling. The process is small, so keeping both costs little memory
 * (bench/dhcp.ts: DISCOVER→ACK median ~2.1 → ~1.9 ms).
 */
const NODE_FLAGS = ['--no-memory-reducer', '--no-flush-bytecode'];

/** The argv that runs server-main: the built file, or the TypeScript source through tsx in development. */
function entryArgv(): string[] {
  const built = here.endsWith('.js') ? join(dirname(here), 'server-main.js') : join(repoRoot, 'dist', 'dhcp', 'server-main.js');
  if (existsSync(built)) return [process.execPath, ...NODE_FLAGS, built];
  return [process.execPath, ...NODE_FLAGS, '--import', 'tsx', join(repoRoot, 'src', 'dhcp', 'server-main.ts')];
}

function tail(text: string, lines = 5): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** The `code`/`field` of the server's last `fatal` log line, if it printed one. */
function fatalDetail(stderr: string): { reason?: string; field?: string } {
  for (const line of stderr.trim().split('\n').reverse()) {
    try {
      const rec = JSON.parse(line) as { event?: string; code?: string; field?: string };
      if (rec.event === 'fatal' || rec.event === 'usage') return { reason: rec.code ?? 'DHCP_USAGE', field: rec.field };
    } catch {
      /* not a JSON line */
    }
  }
  return {};
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Starts the DHCP server in `netns`; throws DHCP_START_FAILED (no process left behind) if it does not get ready. */
export async function startDhcp4Process(options: Dhcp4ProcessOptions): Promise<Dhcp4Process> {
  assertNetnsName(options.netns);
  const configPath = resolve(options.configPath);
  const logFd = options.logPath === undefined ? undefined : openSync(options.logPath, 'a');
  const argv = ['ip', 'netns', 'exec', options.netns, 'setpriv', '--bounding-set', '-all,+net_bind_service', ...entryArgv(), '--config', configPath];
  let child: ChildProcess;
  try {
    child = startProgram(argv, { cwd: repoRoot, env: minimalEnv(), stdio: ['ignore', 'pipe', logFd ?? 'pipe'] });
  } finally {
    if (logFd !== undefined) closeSync(logFd);
  }
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    // Keep only a bounded tail for error reports.
    stderr = (stderr + b.toString('utf8')).slice(-8_192);
  });
  const readStderr = (): string => (options.logPath === undefined ? stderr : safeRead(options.logPath));
  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  const outcome = await new Promise<{ ready: true } | { ready: false; why: string; exitCode?: number | null }>((resolveOutcome) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => resolveOutcome({ ready: false, why: `not ready within ${timeoutMs} ms` }), timeoutMs);
    lines.on('line', (line) => {
      if (line.trim() === 'ready') {
        clearTimeout(timer);
        resolveOutcome({ ready: true });
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      resolveOutcome({ ready: false, why: e.message });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolveOutcome({ ready: false, why: `exited (${signal ?? `status ${code}`}) before it was ready`, exitCode: code });
    });
  });
  if (!outcome.ready) {
    await terminate(child);
    const log = readStderr();
    throw new VirtnetError('DHCP_START_FAILED', `DHCP server in ${options.netns} ${outcome.why}: ${tail(log) || 'no output'}`, {
      program: 'dhcp-server',
      netns: options.netns,
      argv,
      exitCode: outcome.exitCode,
      stderr: tail(log, 20),
      ...fatalDetail(log),
    });
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  child.stdout?.resume();
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? -1,
    stop: () => (stopping ??= terminate(child)),
  };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-8_192);
  } catch {
    return '';
  }
}
