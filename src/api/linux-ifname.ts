// Linux network interface name syntax: the one check every layer uses for a name that may reach `ip`
// argv or batch lines, nft rules or sysfs paths. Narrower than the kernel's dev_valid_name (which
// refuses only `/`, `:`, whitespace, `.` and `..`): ASCII letters, digits, `_`, `.` and `-`, so a name is
// never a quoting or comment hazard in an `ip -batch` line. Pure.

/** IFNAMSIZ is 16 including the NUL: names have at most 15 bytes. */
export const IFNAME_MAX_BYTES = 15;

/** True for 1-15 bytes of `[A-Za-z0-9_.-]`, other than `.` and `..`. */
export function isLinuxInterfaceName(name: string): boolean {
  return name.length <= IFNAME_MAX_BYTES && /^[A-Za-z0-9_.-]+$/.test(name) && name !== '.' && name !== '..';
}
