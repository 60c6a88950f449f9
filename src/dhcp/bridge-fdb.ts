// Which bridge a request came through. Node's dgram cannot bind to a device nor read IP_PKTINFO, so
// a broadcast on 0.0.0.0:67 does not say where it arrived. The bridge learned the sender's MAC on
// one of its ports just before passing the frame up, so the bridge whose forwarding database
// (/sys/class/net/BR/brforward, struct __fdb_entry) saw that MAC most recently is where it came
// from. Reading sysfs needs no capability, keeping the DHCP process unprivileged.
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Size of one `struct __fdb_entry` in a brforward dump. */
const ENTRY_BYTES = 16;

/** Reads one bridge's FDB entries. */
export type FdbReader = (bridge: string) => Uint8Array | undefined;

/** A reader of FDB dumps that keeps its files open until closed. */
export interface OpenFdbReader {
  read: FdbReader;
  close(): void;
}

/**
 * The sysfs reader (inside `ip netns exec`, /sys shows the pod's devices). Each bridge's file stays
 * open and is re-read from offset 0 (pread), which saves open/fstat/close on every request; a read
 * error (bridge deleted or re-created) reopens once.
 */
export function sysfsFdbReader(sysClassNet = '/sys/class/net'): FdbReader {
  return openFdbReader(sysClassNet).read;
}

/** The reader behind sysfsFdbReader, over any directory laid out like /sys/class/net. */
export function openFdbReader(sysClassNet: string): OpenFdbReader {
  const fds = new Map<string, number>();
  // 4096 entries of 16 bytes: far more than a VM NIC's bridge ever learns.
  const buffer = Buffer.alloc(65_536);
  const closeFd = (bridge: string): void => {
    const fd = fds.get(bridge);
    fds.delete(bridge);
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      /* already invalid */
    }
  };
  const readOnce = (bridge: string): Uint8Array => {
    let fd = fds.get(bridge);
    if (fd === undefined) {
      fd = openSync(`${sysClassNet}/${bridge}/brforward`, 'r');
      fds.set(bridge, fd);
    }
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, n);
  };
  const read = (bridge: string): Uint8Array | undefined => {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        return readOnce(bridge);
      } catch {
        closeFd(bridge);
      }
    }
    return undefined;
  };
  return { read, close: () => [...fds.keys()].forEach(closeFd) };
}

/**
 * Readers over throwaway files in the real format, for warming the server up: `learned` has every
 * given MAC learned on its bridge, `empty` has none. They run the very code of sysfsFdbReader, so
 * the server's optimised code sees the same closures and types it will see on real requests.
 */
export function primingFdbReaders(entries: readonly { bridge: string; mac: Uint8Array }[]): { learned: FdbReader; empty: FdbReader; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'virtnet-dhcp-fdb-'));
  try {
    for (const [kind, withEntries] of [['learned', true], ['empty', false]] as const) {
      for (const bridge of new Set(entries.map((e) => e.bridge))) {
        mkdirSync(join(root, kind, bridge), { recursive: true });
        const own = withEntries ? entries.filter((e) => e.bridge === bridge) : [];
        writeFileSync(join(root, kind, bridge, 'brforward'), Buffer.concat(own.map((e, i) => fdbEntry(e.mac, 1 + i))));
      }
    }
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const learned = openFdbReader(join(root, 'learned'));
  const empty = openFdbReader(join(root, 'empty'));
  return {
    learned: learned.read,
    empty: empty.read,
    dispose() {
      learned.close();
      empty.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** One learned (non-local) `struct __fdb_entry` for `mac`, `ageCentis` old, on port 1. */
export function fdbEntry(mac: Uint8Array, ageCentis: number): Uint8Array {
  const entry = new Uint8Array(ENTRY_BYTES);
  entry.set(mac.subarray(0, 6), 0);
  entry[6] = 1;
  new DataView(entry.buffer).setUint32(8, ageCentis, true);
  return entry;
}

/** Age in 1/100 s (USER_HZ) of `mac` as a learned (non-local) entry in one FDB dump, if present. */
export function fdbAge(dump: Uint8Array, mac: Uint8Array): number | undefined {
  let best: number | undefined;
  for (let off = 0; off + ENTRY_BYTES <= dump.length; off += ENTRY_BYTES) {
    let same = true;
    for (let i = 0; i < 6; i++) if (dump[off + i] !== mac[i]) same = false;
    if (!same || dump[off + 7] !== 0) continue;
    const age = new DataView(dump.buffer, dump.byteOffset + off + 8, 4).getUint32(0, true);
    if (best === undefined || age < best) best = age;
  }
  return best;
}

/** Result of locating a MAC among bridges. */
export type BridgeLocation = { kind: 'found'; bridge: string } | { kind: 'unknown' };

/** The bridge among `bridges` that saw `mac` most recently, or unknown when none has learned it. */
export function locateMac(read: FdbReader, bridges: readonly string[], mac: Uint8Array): BridgeLocation {
  let found: { bridge: string; age: number } | undefined;
  for (const bridge of bridges) {
    const dump = read(bridge);
    if (dump === undefined) continue;
    const age = fdbAge(dump, mac);
    if (age !== undefined && (found === undefined || age < found.age)) found = { bridge, age };
  }
  return found === undefined ? { kind: 'unknown' } : { kind: 'found', bridge: found.bridge };
}
