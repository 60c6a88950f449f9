// The one error shape of virtnet: a stable `code` for programs, a message for people, and where it
// happened (a spec field path, a device, a plugin). Nothing above an adapter parses message text.

/** Where an error happened: a spec field path, a device name, a program, or other structured detail. */
export interface ErrorDetail {
  field?: string;
  device?: string;
  program?: string;
  [key: string]: unknown;
}

/** A typed virtnet error: `code` is stable and machine-readable; `message` is for humans. */
export class VirtnetError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly detail: ErrorDetail = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VirtnetError';
  }

  /** JSON form for `-o json` outputs and state files. */
  toJSON(): { code: string; message: string } & ErrorDetail {
    return { ...this.detail, code: this.code, message: this.message };
  }
}

/** True when `err` is a VirtnetError, optionally with the given code. */
export function isVirtnetError(err: unknown, code?: string): err is VirtnetError {
  return err instanceof VirtnetError && (code === undefined || err.code === code);
}
