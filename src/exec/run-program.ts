// The only module that starts external programs. Argument arrays only (never a shell string), an
// explicit environment, a mandatory timeout, and typed errors carrying stderr. Everything in virtnet
// that runs `ip`, `nft`, a CNI plugin, QEMU or a DHCP client goes through here.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { VirtnetError } from '../errors/virtnet-error.js';
import { FastSpawnError, fastSpawn, fastSpawnAvailable, type FastChild } from './fast-spawn.js';

/** Options for a program run to completion. */
export interface RunOptions {
  timeoutMs: number;
  /** Full environment of the child; defaults to a minimal PATH-only environment. */
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  cwd?: string;
  /** Exit codes that are not failures (default: only 0). */
  okExitCodes?: number[];
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
  return { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...extra };
}

/** How a run ended, before it is judged against the options. */
interface Ending {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function judge(argv: readonly string[], options: RunOptions, started: number, end: Ending): RunResult {
  const program = argv[0]!;
  const { exitCode, signal, stdout, stderr } = end;
  const detail = { program, argv: [...argv], exitCode, signal, stdout, stderr };
  if (end.timedOut) throw new VirtnetError('EXEC_TIMEOUT', `${program} did not finish within ${options.timeoutMs} ms`, detail);
  if (exitCode === null) throw new VirtnetError('EXEC_SIGNALED', `${program} was killed by ${signal ?? 'a signal'}`, detail);
  if (!(options.okExitCodes ?? [0]).includes(exitCode)) {
    const why = stderr.trim().split('\n').slice(-3).join(' ') || `exit status ${exitCode}`;
    throw new VirtnetError('EXEC_FAILED', `${program}: ${why}`, detail);
  }
  return { stdout, stderr, exitCode, durationMs: performance.now() - started };
}

function startFailure(argv: readonly string[], errno: string | undefined, message: string, cause: unknown): VirtnetError {
  const code = errno === 'ENOENT' || errno === 'EACCES' ? 'EXEC_NOT_FOUND' : 'EXEC_FAILED';
  return new VirtnetError(code, `${argv[0]}: ${message}`, { program: argv[0], argv: [...argv] }, { cause });
}

/**
 * Runs `argv` to completion. Throws VirtnetError with code EXEC_NOT_FOUND, EXEC_TIMEOUT,
 * EXEC_SIGNALED or EXEC_FAILED (detail: program, argv, exitCode, stdout, stderr).
 */
export function runProgram(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  if (argv[0] === undefined) throw new VirtnetError('EXEC_USAGE', 'runProgram needs a program');
  // Both paths start the child before returning (src/host/netns-switch.ts relies on it to start
  // programs inside a pod's namespace). posix_spawn when the addon is built: Node's own spawn
  // forks the whole process, which costs more than the program itself here (src/exec/fast-spawn.ts).
  return options.cwd === undefined && fastSpawnAvailable() ? runFast(argv, options) : runForked(argv, options);
}

function runFast(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  let child: FastChild;
  try {
    child = fastSpawn(argv, options.env ?? minimalEnv(), options.input);
  } catch (e) {
    if (!(e instanceof FastSpawnError)) throw e;
    return Promise.reject(startFailure(argv, e.code, e.message, e));
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.abort();
  }, options.timeoutMs);
  return child.done.then((end) => {
    clearTimeout(timer);
    return judge(argv, options, started, { ...end, stdout: end.stdout.toString('utf8'), stderr: end.stderr.toString('utf8'), timedOut });
  });
}

function runForked(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  const [program, ...args] = argv as [string, ...string[]];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: options.env ?? minimalEnv(),
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
      // A daemonised child of the program may still hold the pipes open: stop waiting for them.
      child.stdout.destroy();
      child.stderr.destroy();
    }, options.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A child that exits before reading its input raises EPIPE on stdin; the exit status tells the story.
    child.stdin.on('error', () => undefined);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(startFailure(argv, e.code, e.message, e));
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      try {
        resolve(judge(argv, options, started, { exitCode, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut }));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
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
