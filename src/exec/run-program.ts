// The only module that starts external programs. Argument arrays only (never a shell string), an
// explicit environment, a mandatory timeout, and typed errors carrying stderr. Everything in virtnet
// that runs `ip`, `nft`, a CNI plugin, QEMU or a DHCP client goes through here.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { VirtnetError } from '../errors/virtnet-error.js';
import type { Readable } from 'node:stream';
import { FastSpawnError, fastSpawn, type FastChild } from './fast-spawn.js';

/** Options for a program run to completion. */
export interface RunOptions {
  timeoutMs: number;
  /** Full environment of the child; defaults to a minimal PATH-only environment. */
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  cwd?: string;
  /** Exit codes that are not failures (default: only 0). */
  okExitCodes?: number[];
  /** Cancels the run: the program and its process group are killed, EXEC_ABORTED is thrown. */
  signal?: AbortSignal;
}

/** What a finished program printed. */
export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
}

/** The environment children get unless a caller passes one: enough to find programs, nothing else. */
export function minimalEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ...extra,
  };
}

/**
 * How long output pipes are still read after the program exited. Without a background child they
 * close together with the exit; a child the program left behind may hold them open for ever, and
 * then what the program wrote (already in the pipe) is read within this time and the wait ends.
 */
const LINGER_AFTER_EXIT_MS = 100;

/** How a run ended, before it is judged against the options. */
interface Ending {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  cut: 'timeout' | 'abort' | undefined;
}

function judge(argv: readonly string[], options: RunOptions, started: number, end: Ending): RunResult {
  const program = argv[0]!;
  const { exitCode, signal, stdout, stderr } = end;
  const detail = { program, argv: [...argv], exitCode, signal, stdout, stderr };
  if (end.cut === 'abort') throw new VirtnetError('EXEC_ABORTED', `${program} was cancelled`, detail);
  if (end.cut === 'timeout')
    throw new VirtnetError(
      'EXEC_TIMEOUT',
      `${program} did not finish within ${options.timeoutMs} ms`,
      detail,
    );
  if (exitCode === null)
    throw new VirtnetError('EXEC_SIGNALED', `${program} was killed by ${signal ?? 'a signal'}`, detail);
  if (!(options.okExitCodes ?? [0]).includes(exitCode)) {
    const why = stderr.trim().split('\n').slice(-3).join(' ') || `exit status ${exitCode}`;
    throw new VirtnetError('EXEC_FAILED', `${program}: ${why}`, detail);
  }
  return { stdout, stderr, exitCode, durationMs: performance.now() - started };
}

function startFailure(
  argv: readonly string[],
  errno: string | undefined,
  message: string,
  cause: unknown,
): VirtnetError {
  const code = errno === 'ENOENT' || errno === 'EACCES' ? 'EXEC_NOT_FOUND' : 'EXEC_FAILED';
  return new VirtnetError(code, `${argv[0]}: ${message}`, { program: argv[0], argv: [...argv] }, { cause });
}

/** Reads `stream` to its end, or until `stop()`: then what was read so far. */
function collect(stream: Readable): { read: Promise<Buffer>; stop(): void } {
  const chunks: Buffer[] = [];
  stream.on('data', (b: Buffer) => chunks.push(b));
  const read = new Promise<Buffer>((resolve) => {
    stream.once('close', () => resolve(Buffer.concat(chunks)));
    stream.once('error', () => stream.destroy());
  });
  return { read, stop: () => stream.destroy() };
}

/**
 * SIGKILL to the program's process group: the program and every child it did not move into a group
 * of its own (a daemon that called setsid is not ours to kill). The group exists as long as one
 * member lives, and its id cannot be given to another process meanwhile.
 */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // No such group: everything in it is gone already.
  }
}

/**
 * Waits for the program's end: its exit plus its output, cut short by the timeout or the abort
 * signal (the whole group is killed then). After the exit, output pipes a left-behind child still
 * holds are read for LINGER_AFTER_EXIT_MS, then that child's group is killed and the wait ends.
 */
async function finish(
  argv: readonly string[],
  options: RunOptions,
  started: number,
  child: FastChild,
): Promise<RunResult> {
  const out = collect(child.stdout);
  const err = collect(child.stderr);
  let cut: Ending['cut'];
  const stopAll = (why: 'timeout' | 'abort'): void => {
    cut ??= why;
    killGroup(child.pid);
    out.stop();
    err.stop();
  };
  const timer = setTimeout(() => stopAll('timeout'), options.timeoutMs);
  const onAbort = (): void => stopAll('abort');
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const status = await child.exited;
  const piped = Promise.all([out.read, err.read]);
  let linger: NodeJS.Timeout | undefined;
  const held = await Promise.race([
    piped.then(() => false),
    new Promise<boolean>((r) => (linger = setTimeout(() => r(true), LINGER_AFTER_EXIT_MS))),
  ]);
  clearTimeout(linger);
  if (held) {
    killGroup(child.pid);
    out.stop();
    err.stop();
  }
  const [stdout, stderr] = await piped;
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  return judge(argv, options, started, {
    ...status,
    stdout: stdout.toString('utf8'),
    stderr: stderr.toString('utf8'),
    cut,
  });
}

/**
 * Runs `argv` to completion. Throws VirtnetError with code EXEC_NOT_FOUND, EXEC_TIMEOUT,
 * EXEC_ABORTED, EXEC_SIGNALED or EXEC_FAILED (detail: program, argv, exitCode, stdout, stderr).
 */
export function runProgram(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  if (argv[0] === undefined) throw new VirtnetError('EXEC_USAGE', 'runProgram needs a program');
  // The child starts before this returns (src/host/netns-switch.ts relies on it to start programs
  // inside a pod's namespace), through posix_spawn: Node's own spawn forks the whole process
  // (src/exec/fast-spawn.ts, bench/native-addons.ts).
  const started = performance.now();
  let child: FastChild;
  try {
    child = fastSpawn(argv, options.env ?? minimalEnv(), options.input, options.cwd);
  } catch (e) {
    if (!(e instanceof FastSpawnError)) throw e;
    return Promise.reject(startFailure(argv, e.code, e.message, e));
  }
  return finish(argv, options, started, child);
}

/** Options for a long-running program (QEMU, the DHCP server, passt). */
export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdio?: StdioOptions;
  detached?: boolean;
}

/** Starts a long-running program and returns its handle; the caller supervises and stops it by PID. */
export function startProgram(argv: readonly string[], options: StartOptions = {}): ChildProcess {
  const [program, ...args] = argv;
  if (program === undefined) throw new VirtnetError('EXEC_USAGE', 'startProgram needs a program');
  return spawn(program, args, {
    env: options.env ?? minimalEnv(),
    cwd: options.cwd,
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
}
