// The result shape of every codec operation: decoding untrusted bytes never throws, it returns a
// typed failure with a stable code (counted by the server) and a human-readable message.

/** Why a packet or option value was rejected. */
export type CodecFailureCode =
  | 'TRUNCATED'
  | 'BAD_COOKIE'
  | 'BAD_OP'
  | 'BAD_HLEN'
  | 'OPTION_OVERRUN'
  | 'BAD_LENGTH'
  | 'BAD_VALUE'
  | 'TOO_LONG';

/** A typed codec failure; `option` names the DHCP option code when one is at fault. */
export interface CodecFailure {
  ok: false;
  code: CodecFailureCode;
  message: string;
  option?: number;
}

/** Success or a typed failure. */
export type CodecResult<T> = { ok: true; value: T } | CodecFailure;

/** Wraps a value as a success. */
export function ok<T>(value: T): CodecResult<T> {
  return { ok: true, value };
}

/** Builds a failure. */
export function fail(code: CodecFailureCode, message: string, option?: number): CodecFailure {
  return option === undefined ? { ok: false, code, message } : { ok: false, code, message, option };
}
