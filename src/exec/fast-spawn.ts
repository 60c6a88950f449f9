// Running a program to completion through native/fast-spawn.c (posix_spawn, see there for why):
// the same contract as Node's spawn for runProgram — argv, environment, stdin data, stdout/stderr
// collected, exit code or signal — without forking the Node process.
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { loadNativeAddon } from './native-addon.js';

interface Addon {
  spawn(
    argv: string[],
    env: string[],
    onExit: (status: number) => void,
    cwd: string | undefined,
  ): [number, number, number, number] | number;
}

/** A started program: its pid, its exit, and its output pipes (read by the caller). */
export interface FastChild {
  pid: number;
  /** Resolves once the program was reaped (its pid may belong to another process from then on). */
  exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
  stdout: Socket;
  stderr: Socket;
}

/** Thrown (synchronously) when the program could not be started: `code` is the errno name. */
export class FastSpawnError extends Error {
  constructor(
    readonly code: string,
    program: string,
  ) {
    super(`spawn ${program} ${code}`);
  }
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);
const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/**
 * Starts `argv` (looked up in this process's PATH) with exactly `env`, in `cwd` (else here), in a
 * process group of its own, writes `input` to its stdin and closes it. The program starts before
 * this returns, in the calling thread's network namespace.
 */
export function fastSpawn(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  input: string | Buffer | undefined,
  cwd?: string,
): FastChild {
  const native = loadNativeAddon<Addon>('fast-spawn');
  let onExit!: (status: number) => void;
  const exited = new Promise<number>((resolve) => (onExit = resolve)).then((status) => {
    // The wait status as <sys/wait.h> encodes it: low 7 bits a terminating signal, else bits 8-15 the exit code.
    const signal = status & 0x7f;
    return signal === 0
      ? { exitCode: (status >> 8) & 0xff, signal: null }
      : { exitCode: null, signal: SIGNAL_NAMES.get(signal) ?? null };
  });
  const envList = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  const started = native.spawn([...argv], envList, onExit, cwd);
  if (typeof started === 'number')
    throw new FastSpawnError(ERRNO_NAMES.get(-started) ?? `errno ${-started}`, argv[0] ?? '');
  const [pid, stdinFd, stdoutFd, stderrFd] = started;
  const stdin = new Socket({ fd: stdinFd, readable: false, writable: true });
  // A child that exits before reading its input raises EPIPE here; its exit status tells the story.
  stdin.on('error', () => stdin.destroy());
  stdin.end(input ?? '');
  const stdout = new Socket({ fd: stdoutFd, readable: true, writable: false });
  const stderr = new Socket({ fd: stderrFd, readable: true, writable: false });
  return { pid, exited, stdout, stderr };
}
