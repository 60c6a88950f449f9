// Seeded mutations of real clients' packets (captured udhcpc and dhclient DISCOVERs and REQUESTs):
// bit flips, truncations, extensions, corrupted option lengths and codes, pure noise. Deterministic
// for a seed, so a failure reproduces. Shared by the codec fuzz and the on-the-wire fuzz.
import { readFileSync } from 'node:fs';

export const seeds = ['udhcpc-discover', 'udhcpc-request', 'dhclient-discover', 'dhclient-request'].map(
  (name) =>
    Uint8Array.from(
      Buffer.from(
        readFileSync(new URL(`./fixtures/${name}.hex`, import.meta.url), 'utf8').replace(/\s+/g, ''),
        'hex',
      ),
    ),
);

/** xorshift32: deterministic, so a failure reproduces. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export function mutate(next: () => number): Uint8Array {
  const base = seeds[next() % seeds.length]!;
  const kind = next() % 6;
  let p = Uint8Array.from(base);
  if (kind === 0) {
    for (let i = 0, n = 1 + (next() % 8); i < n; i++) p[next() % p.length] = next() & 0xff;
  } else if (kind === 1) {
    p = p.subarray(0, next() % (p.length + 1));
  } else if (kind === 2) {
    const extra = new Uint8Array(next() % 600).map(() => next() & 0xff);
    const q = new Uint8Array(p.length + extra.length);
    q.set(p);
    q.set(extra, p.length);
    p = q;
  } else if (kind === 3) {
    // Corrupt the options area: lengths and codes, including option 52 overload into garbage fields.
    for (let i = 0, n = 1 + (next() % 6); i < n; i++)
      p[240 + (next() % (p.length - 240))] = next() % 4 === 0 ? 52 : next() & 0xff;
    for (let i = 44; i < 236; i++) if (next() % 3 === 0) p[i] = next() & 0xff;
  } else if (kind === 4) {
    p = new Uint8Array(next() % 700).map(() => next() & 0xff);
    if (p.length >= 240 && next() % 2 === 0) p.set([99, 130, 83, 99], 236);
  } else {
    // Valid header, random options.
    for (let i = 240; i < p.length; i++) p[i] = next() & 0xff;
  }
  return p;
}
