// Kubernetes resource quantities (`128Mi`, `1Gi`, `1G`, `512M`, `1e9`) as bytes. Pure.

const SUFFIX_BYTES: Record<string, number> = {
  '': 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** Bytes of a quantity string or number, or undefined when it is not a quantity. */
export function quantityBytes(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?|\.\d+)(?:([eE][-+]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E))?$/.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIX_BYTES[m[3] ?? '']!;
}

/** MiB of a quantity, rounded up (the guest gets at least what was asked). */
export function quantityMiB(q: unknown): number | undefined {
  const bytes = quantityBytes(q);
  return bytes === undefined || bytes === 0 ? undefined : Math.ceil(bytes / 2 ** 20);
}
