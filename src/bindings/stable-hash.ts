// Stable short identifiers the planners derive from names: device names that must fit IFNAMSIZ,
// socket paths that must fit sun_path, locally administered MACs. FNV-1a (32 bit) is enough: the
// inputs are a handful of names per VM, and the output must only stay the same across runs. Pure.

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over the UTF-16 code units of `text`; a different `seed` gives an independent hash. */
export function fnv1a(text: string, seed = FNV_OFFSET_BASIS): number {
  let h = seed;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), FNV_PRIME) >>> 0;
  return h;
}

/** `fnv1a` as 8 hex digits. */
export function fnv1aHex(text: string, seed = FNV_OFFSET_BASIS): string {
  return fnv1a(text, seed).toString(16).padStart(8, '0');
}

/** A stable locally administered unicast MAC (first octet 02) for `key`. */
export function stableMac(key: string): string {
  const a = fnv1a(key);
  const b = fnv1a(key, FNV_PRIME);
  return [0x02, a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff, b & 0xff]
    .map((x) => x.toString(16).padStart(2, '0'))
    .join(':');
}
