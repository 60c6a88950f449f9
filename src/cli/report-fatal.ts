// Turns an error that reached the top of a command into one line on stderr and an exit code.
// User input never produces a stack trace; only unexpected errors show one with VIRTNET_DEBUG=1.
import { isVirtnetError } from '../errors/virtnet-error.js';

/** Prints `err` for a person and returns the exit code to use. */
export function reportFatal(err: unknown): number {
  if (isVirtnetError(err)) {
    const where = err.detail.field ?? err.detail.device ?? err.detail.program;
    process.stderr.write(`virtnet: ${where ? `${where}: ` : ''}${err.message} [${err.code}]\n`);
    return err.code.startsWith('USAGE') ? 2 : 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`virtnet: internal error: ${message}\n`);
  if (process.env.VIRTNET_DEBUG && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
  return 1;
}
