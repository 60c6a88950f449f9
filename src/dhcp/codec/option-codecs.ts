// The value codecs DHCP options are built from (RFC 2132 §2 data types and the structured ones of
// later RFCs). Each turns a typed value into option data and back; neither direction throws.
import { decodeClasslessRoutes, encodeClasslessRoutes, type ClasslessRoute } from './classless-routes.js';
import { decodeDomainSearch, encodeDomainSearch } from './domain-search.js';
import { formatIpv4, parseIpv4, readIpv4, writeIpv4 } from '../../api/ipv4.js';
import { fail, ok, type CodecResult } from './result.js';

/** Encodes a value of type T into option data and decodes it back. */
export interface OptionCodec<T> {
  /** Short name of the wire type, for documentation and error messages. */
  readonly kind: string;
  encode(value: T): CodecResult<Uint8Array>;
  decode(data: Uint8Array): CodecResult<T>;
}

function uint(bytes: 1 | 2 | 4, min = 0): OptionCodec<number> {
  const max = 2 ** (8 * bytes) - 1;
  return {
    kind: `uint${bytes * 8}`,
    encode(value) {
      if (!Number.isInteger(value) || value < min || value > max)
        return fail('BAD_VALUE', `${value} is not an integer in ${min}..${max}`);
      const out = new Uint8Array(bytes);
      for (let i = 0; i < bytes; i++) out[i] = Math.floor(value / 2 ** (8 * (bytes - 1 - i))) & 0xff;
      return ok(out);
    },
    decode(data) {
      if (data.length !== bytes) return fail('BAD_LENGTH', `expected ${bytes} bytes, got ${data.length}`);
      let value = 0;
      for (const b of data) value = value * 256 + b;
      if (value < min) return fail('BAD_VALUE', `${value} is below the minimum ${min}`);
      return ok(value);
    },
  };
}

/** Unsigned integers of 1, 2 and 4 bytes (network order). */
export const uint8 = uint(1);
export const uint16 = uint(2);
export const uint32 = uint(4);
/** RFC 2132 §9.10: the maximum DHCP message size is at least 576. */
export const maxMessageSize = uint(2, 576);

/** A signed 32-bit integer (RFC 2132 §3.4 time offset). */
export const int32: OptionCodec<number> = {
  kind: 'int32',
  encode(value) {
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31)
      return fail('BAD_VALUE', `${value} is not a signed 32-bit integer`);
    const out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(0, value);
    return ok(out);
  },
  decode(data) {
    if (data.length !== 4) return fail('BAD_LENGTH', `expected 4 bytes, got ${data.length}`);
    return ok(new DataView(data.buffer, data.byteOffset, 4).getInt32(0));
  },
};

/** One IPv4 address. */
export const ipv4: OptionCodec<string> = {
  kind: 'ipv4',
  encode(value) {
    const n = parseIpv4(value);
    if (n === undefined) return fail('BAD_VALUE', `${JSON.stringify(value)} is not an IPv4 address`);
    const out = new Uint8Array(4);
    writeIpv4(out, 0, n);
    return ok(out);
  },
  decode(data) {
    if (data.length !== 4) return fail('BAD_LENGTH', `expected 4 bytes, got ${data.length}`);
    return ok(formatIpv4(readIpv4(data, 0)));
  },
};

/** A non-empty list of IPv4 addresses. */
export const ipv4List: OptionCodec<string[]> = {
  kind: 'ipv4[]',
  encode(values) {
    if (values.length === 0) return fail('BAD_VALUE', 'an address list needs at least one address');
    const out = new Uint8Array(values.length * 4);
    for (const [i, value] of values.entries()) {
      const n = parseIpv4(value);
      if (n === undefined) return fail('BAD_VALUE', `${JSON.stringify(value)} is not an IPv4 address`);
      writeIpv4(out, i * 4, n);
    }
    return ok(out);
  },
  decode(data) {
    if (data.length === 0 || data.length % 4 !== 0)
      return fail('BAD_LENGTH', `address list length ${data.length} is not a positive multiple of 4`);
    const values: string[] = [];
    for (let i = 0; i < data.length; i += 4) values.push(formatIpv4(readIpv4(data, i)));
    return ok(values);
  },
};

/** NVT ASCII text (RFC 2132 §2), at least one byte; trailing NULs some clients add are dropped. */
export const text: OptionCodec<string> = {
  kind: 'text',
  encode(value) {
    if (value.length === 0) return fail('BAD_VALUE', 'text options cannot be empty');
    const bytes = Buffer.from(value, 'utf8');
    return ok(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  },
  decode(data) {
    let end = data.length;
    while (end > 0 && data[end - 1] === 0) end--;
    if (end === 0) return fail('BAD_LENGTH', 'empty text option');
    return ok(Buffer.from(data.subarray(0, end)).toString('utf8'));
  },
};

/** Opaque bytes (client identifier, vendor data, options virtnet does not interpret). */
export const bytes: OptionCodec<Uint8Array> = {
  kind: 'bytes',
  encode: (value) => ok(Uint8Array.from(value)),
  decode: (data) => ok(Uint8Array.from(data)),
};

/** A list of option codes (RFC 2132 §9.8 parameter request list). */
export const codeList: OptionCodec<number[]> = {
  kind: 'uint8[]',
  encode(values) {
    if (values.some((v) => !Number.isInteger(v) || v < 0 || v > 255))
      return fail('BAD_VALUE', 'option codes are 0..255');
    return ok(Uint8Array.from(values));
  },
  decode: (data) => ok(Array.from(data)),
};

/** An option whose presence is the information (RFC 4039 rapid commit). */
export const flag: OptionCodec<true> = {
  kind: 'empty',
  encode: () => ok(new Uint8Array(0)),
  decode: (data) => (data.length === 0 ? ok(true) : fail('BAD_LENGTH', 'a flag option carries no data')),
};

/** RFC 3397 domain search list with compression. */
export const domainSearch: OptionCodec<string[]> = {
  kind: 'rfc3397',
  encode: (values) => encodeDomainSearch(values),
  decode: (data) => decodeDomainSearch(data),
};

/** RFC 3442 classless static routes. */
export const classlessRoutes: OptionCodec<ClasslessRoute[]> = {
  kind: 'rfc3442',
  encode: (values) => encodeClasslessRoutes(values),
  decode: (data) => decodeClasslessRoutes(data),
};

/** An enumerated byte (message type, overload): a uint8 restricted to `allowed`. */
export function enumByte(allowed: readonly number[]): OptionCodec<number> {
  return {
    kind: 'uint8-enum',
    encode: (value) =>
      allowed.includes(value)
        ? uint8.encode(value)
        : fail('BAD_VALUE', `${value} is not one of ${allowed.join(', ')}`),
    decode(data) {
      const r = uint8.decode(data);
      if (!r.ok) return r;
      return allowed.includes(r.value)
        ? r
        : fail('BAD_VALUE', `${r.value} is not one of ${allowed.join(', ')}`);
    },
  };
}
