// Guest PCI address syntax `DDDD:BB:SS.F` (domain, bus, slot ≤ 0x1f, function 0-7). Pure.

const PCI_RE = /^([0-9A-Fa-f]{4}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2})\.([0-7])$/;

/** True when `text` is a well-formed PCI address. */
export function isPciAddress(text: string): boolean {
  const m = PCI_RE.exec(text);
  return m !== null && parseInt(m[3]!, 16) <= 0x1f;
}

/** Lower-case form used for comparisons and output. */
export function normalisePciAddress(text: string): string {
  return text.toLowerCase();
}
