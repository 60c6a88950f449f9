// The VM's name when metadata.name is missing (the legacy `kind: VM` form has none): derived from
// the file name so it is stable, and always a DNS label (safe in paths and derived device names).

/** A DNS-label name from a file path and the document's index in it. */
export function deriveVmName(file: string, index: number, count: number): string {
  const base = file.split(/[\\/]/).pop() ?? '';
  const stem = base.replace(/\.(ya?ml|json)$/i, '');
  let name = stem
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56)
    .replace(/-+$/, '');
  if (name === '') name = 'vm';
  return count > 1 ? `${name}-${index}` : name;
}
