// The value of a JSON spec read with JSON.parse, which is many times faster than the `yaml` package on
// large files, but only when that is certain to give what `yaml` would: JSON.parse keeps the last of
// duplicate keys where `yaml` reports them, so any duplicate (or anything unusual) means undefined and
// the caller reads the text with `yaml`. Pure.

/** Deeper than this, `yaml` may run out of stack where JSON.parse does not; such text goes to `yaml`. */
const MAX_DEPTH = 100;

/** Anything but printable ASCII and newlines: tabs, CR, BOM, Unicode line separators. */
const UNUSUAL_CHAR = /[^\n\x20-\x7e]/;
/** 16 digits in a row: an integer parseInt (what `yaml` uses) and JSON.parse may round differently. */
const LONG_NUMBER = /[0-9]{16}/;
/** Every string token of valid JSON, and whether a `:` follows it (then it is a key). */
const STRING_TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"\s*(:)?/g;

function looksLikeJson(text: string): boolean {
  const start = text.trimStart()[0];
  return start === '{' || start === '[';
}

/** The number of keys in `value`, or -1 when it nests deeper than MAX_DEPTH. */
function keyCount(value: unknown, depth: number): number {
  if (depth > MAX_DEPTH) return -1;
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? (value as unknown[]) : Object.values(value);
  let count = Array.isArray(value) ? 0 : children.length;
  for (const child of children) {
    const n = keyCount(child, depth + 1);
    if (n < 0) return -1;
    count += n;
  }
  return count;
}

function keyTokens(text: string): number {
  let count = 0;
  for (const m of text.matchAll(STRING_TOKEN)) if (m[1] !== undefined) count++;
  return count;
}

/** The value of `text` when it is plain JSON whose `yaml` reading is the same value without issues; else undefined. */
export function jsonSpecValue(text: string): { value: unknown } | undefined {
  if (!looksLikeJson(text) || UNUSUAL_CHAR.test(text) || LONG_NUMBER.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Fewer keys in the value than key tokens in the text: a map held one key twice.
  const keys = keyCount(value, 0);
  return keys >= 0 && keys === keyTokens(text) ? { value } : undefined;
}
