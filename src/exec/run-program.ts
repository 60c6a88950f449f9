// The only module that starts external programs. Argument arrays only (never a shell string), an
// explicit environment, a mandatory timeout, and typed errors carrying stderr. Everything in virtnet
// that runs `ip`, `nft`, a CNI plugin, QEMU or a DHCP client goes through here.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { VirtnetError } from '../errors/virtnet-error.js';

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

/**
 * Runs `argv` to completion. Throws VirtnetError with code EXEC_NOT_FOUND, EXEC_TIMEOUT,
 * EXEC_SIGNALED or EXEC_FAILED (detail: program, argv, exitCode, stdout, stderr).
 */
export function runProgram(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  const [program, ...args] = argv;
  if (program === undefined) throw new VirtnetError('EXEC_USAGE', 'runProgram needs a program');
  const started = performance.now();
  // The child is spawned before this function returns (the executor runs synchronously):
  // src/host/netns-switch.ts relies on it to start programs inside a pod's namespace.
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
    }, options.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A child that exits before reading its input raises EPIPE on stdin; the exit status tells the story.
    child.stdin.on('error', () => undefined);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = e.code === 'ENOENT' || e.code === 'EACCES' ? 'EXEC_NOT_FOUND' : 'EXEC_FAILED';
      reject(new VirtnetError(code, `${program}: ${e.message}`, { program, argv: [...argv] }, { cause: e }));
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const durationMs = performance.now() - started;
      const detail = { program, argv: [...argv], exitCode, signal, stdout, stderr };
      if (timedOut) {
        reject(new VirtnetError('EXEC_TIMEOUT', `${program} did not finish within ${options.timeoutMs} ms`, detail));
      } else if (exitCode === null) {
        reject(new VirtnetError('EXEC_SIGNALED', `${program} was killed by ${signal ?? 'a signal'}`, detail));
      } else if (!(options.okExitCodes ?? [0]).includes(exitCode)) {
        const why = stderr.trim().split('\n').slice(-3).join(' ') || `exit status ${exitCode}`;
        reject(new VirtnetError('EXEC_FAILED', `${program}: ${why}`, detail));
      } else {
        resolve({ stdout, stderr, exitCode, durationMs });
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
