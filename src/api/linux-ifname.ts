// Linux network interface name syntax (the kernel's dev_valid_name): what may reach `ip` argv. Pure.

/** IFNAMSIZ is 16 including the NUL: names have at most 15 bytes. */
export const IFNAME_MAX_BYTES = 15;

/** True when `name` is a name the kernel accepts for a link. */
export function isLinuxInterfaceName(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  if (new TextEncoder().encode(name).length > IFNAME_MAX_BYTES) return false;
  return !/[/:\s]/.test(name) && !name.includes('\0');
}
