// RFC 3397 option 119 (Domain Search): a list of domain names in RFC 1035 wire format with message
// compression, where pointers are offsets into the concatenated option data. Pure; decoding never
// throws and refuses forward pointers, so a hostile packet cannot make it loop.
import { fail, ok, type CodecResult } from './result.js';

const MAX_NAME_BYTES = 255;
const MAX_POINTER_OFFSET = 0x3fff;
const LABEL_RE = /^[\x21-\x2d\x2f-\x7e]{1,63}$/;

/** Encodes search domains (`example.com`, trailing dot optional) with suffix compression. */
export function encodeDomainSearch(domains: readonly string[]): CodecResult<Uint8Array> {
  const out: number[] = [];
  const suffixOffsets = new Map<string, number>();
  for (const domain of domains) {
    const name = domain.endsWith('.') ? domain.slice(0, -1) : domain;
    const labels = name === '' ? [] : name.split('.');
    if (labels.length === 0) return fail('BAD_VALUE', 'empty search domain', 119);
    if (name.length > 253)
      return fail('BAD_VALUE', `search domain ${JSON.stringify(domain)} is longer than 253 bytes`, 119);
    for (const label of labels) {
      if (!LABEL_RE.test(label))
        return fail('BAD_VALUE', `search domain ${JSON.stringify(domain)} has an invalid label`, 119);
    }
    let compressed = false;
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const known = suffixOffsets.get(suffix);
      if (known !== undefined) {
        out.push(0xc0 | (known >> 8), known & 0xff);
        compressed = true;
        break;
      }
      if (out.length <= MAX_POINTER_OFFSET) suffixOffsets.set(suffix, out.length);
      const label = labels[i] ?? '';
      out.push(label.length, ...Array.from(label, (c) => c.charCodeAt(0)));
    }
    if (!compressed) out.push(0);
  }
  return ok(Uint8Array.from(out));
}

/** Decodes option 119 data into domain names (without trailing dot). */
export function decodeDomainSearch(data: Uint8Array): CodecResult<string[]> {
  const names: string[] = [];
  let pos = 0;
  while (pos < data.length) {
    const start = pos;
    const labels: string[] = [];
    let nameBytes = 0;
    let cursor = pos;
    let jumped = false;
    for (;;) {
      if (cursor >= data.length) return fail('TRUNCATED', 'domain search name runs past the option', 119);
      const len = data[cursor] ?? 0;
      if (len === 0) {
        if (!jumped) pos = cursor + 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        if (cursor + 1 >= data.length) return fail('TRUNCATED', 'domain search pointer cut short', 119);
        const target = ((len & 0x3f) << 8) | (data[cursor + 1] ?? 0);
        // Only backward pointers into earlier names: guarantees termination.
        if (target >= start) return fail('BAD_VALUE', 'domain search pointer does not point backwards', 119);
        if (!jumped) pos = cursor + 2;
        jumped = true;
        cursor = target;
        continue;
      }
      if ((len & 0xc0) !== 0) return fail('BAD_VALUE', 'domain search label has reserved length bits', 119);
      if (cursor + 1 + len > data.length)
        return fail('TRUNCATED', 'domain search label runs past the option', 119);
      nameBytes += len + 1;
      if (nameBytes > MAX_NAME_BYTES)
        return fail('TOO_LONG', 'domain search name longer than 255 bytes', 119);
      labels.push(String.fromCharCode(...data.subarray(cursor + 1, cursor + 1 + len)));
      cursor += 1 + len;
    }
    if (labels.length === 0) return fail('BAD_VALUE', 'empty name in domain search list', 119);
    names.push(labels.join('.'));
  }
  return ok(names);
}
