// Running a program to completion through native/fast-spawn.c (posix_spawn, see there for why):
// the same contract as Node's spawn for runProgram — argv, environment, stdin data, stdout/stderr
// collected, exit code or signal — without forking the Node process. Unavailable (no addon, or
// VIRTNET_NO_NATIVE=1) → runProgram uses child_process.spawn.
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { loadNativeAddon } from './native-addon.js';

interface Addon {
  spawn(argv: string[], env: string[], onExit: (status: number) => void): [number, number, number, number] | number;
}

const load = (): Addon | null => loadNativeAddon<Addon>('fast-spawn');

/** True when programs can be started without forking Node. */
export function fastSpawnAvailable(): boolean {
  return load() !== null;
}

/** A started program: its pid, and a promise of how it ended once its output is all read. */
export interface FastChild {
  pid: number;
  /**
   * SIGKILL unless already reaped (the pid may then belong to another process), and stop reading
   * its output: a program can exit while a daemonised child of its own still holds the pipes open.
   */
  abort(): void;
  done: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: Buffer }>;
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

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));
const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

function collect(fd: number): { socket: Socket; read: Promise<Buffer> } {
  const socket = new Socket({ fd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  socket.on('data', (b: Buffer) => chunks.push(b));
  const read = new Promise<Buffer>((resolve) => {
    socket.once('close', () => resolve(Buffer.concat(chunks)));
    socket.once('error', () => socket.destroy());
  });
  return { socket, read };
}

/**
 * Starts `argv` (looked up in this process's PATH) with exactly `env`, writes `input` to its stdin
 * and closes it. The program starts before this returns, in the calling thread's network namespace.
 */
export function fastSpawn(argv: readonly string[], env: NodeJS.ProcessEnv, input: string | Buffer | undefined): FastChild {
  const native = load();
  if (native === null) throw new FastSpawnError('ENOSYS', argv[0] ?? '');
  let onExit!: (status: number) => void;
  let reaped = false;
  const exited = new Promise<number>((resolve) => (onExit = resolve)).then((status) => {
    reaped = true;
    return status;
  });
  const envList = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  const started = native.spawn([...argv], envList, onExit);
  if (typeof started === 'number') throw new FastSpawnError(ERRNO_NAMES.get(-started) ?? `errno ${-started}`, argv[0] ?? '');
  const [pid, stdinFd, stdoutFd, stderrFd] = started;
  const stdin = new Socket({ fd: stdinFd, readable: false, writable: true });
  // A child that exits before reading its input raises EPIPE here; its exit status tells the story.
  stdin.on('error', () => stdin.destroy());
  stdin.end(input ?? '');
  const out = collect(stdoutFd);
  const err = collect(stderrFd);
  const done = Promise.all([exited, out.read, err.read]).then(([status, stdout, stderr]) => {
    // The wait status as <sys/wait.h> encodes it: low 7 bits a terminating signal, else bits 8-15 the exit code.
    const signal = status & 0x7f;
    return signal === 0 ? { exitCode: (status >> 8) & 0xff, signal: null, stdout, stderr } : { exitCode: null, signal: SIGNAL_NAMES.get(signal) ?? null, stdout, stderr };
  });
  const abort = (): void => {
    if (!reaped) process.kill(pid, 'SIGKILL');
    out.socket.destroy();
    err.socket.destroy();
  };
  return { pid, abort, done };
}
