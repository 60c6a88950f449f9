// A writer for the cpio "newc" format (SVR4 without CRC, magic 070701): the format the Linux kernel
// unpacks as an initramfs (Documentation/driver-api/early-userspace/buffer-format.rst). Writing it
// here lets an unprivileged build create /dev/console and files owned by root without mknod or chown.

/** One archive member. Paths are relative, without a leading slash. */
export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function member(
  ino: number,
  mode: number,
  data: Buffer,
  name: string,
  rdev: [number, number] = [0, 0],
): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const header =
    '070701' +
    [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0].map(hex8).join('');
  const head = Buffer.concat([Buffer.from(header, 'ascii'), nameBytes]);
  return [head, pad4(head.length), data, pad4(data.length)];
}

/** Serialises `entries` (parents before children) into one newc archive with its TRAILER!!! record. */
export function writeCpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '');
    switch (e.kind) {
      case 'dir':
        parts.push(...member(ino++, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0), path));
        break;
      case 'file':
        parts.push(...member(ino++, S_IFREG | (e.mode ?? 0o644), e.data, path));
        break;
      case 'symlink':
        parts.push(...member(ino++, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8'), path));
        break;
      case 'chardev':
        parts.push(...member(ino++, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), path, [e.major, e.minor]));
        break;
    }
  }
  parts.push(...member(0, 0, Buffer.alloc(0), 'TRAILER!!!'));
  return Buffer.concat(parts);
}
