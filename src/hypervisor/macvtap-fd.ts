// Opens the character device of a macvtap (/dev/tapIFINDEX) once per queue, so QEMU gets it as
// `-netdev tap,fd=N` (the embedded equivalent of libvirt's type='direct'). The macvtap may live in a
// pod namespace: its ifindex and device numbers are read there, and the node is created when the
// host's /dev has none (devtmpfs only follows the initial namespace's ifindexes).
import { existsSync, openSync, readFileSync } from 'node:fs';
import { VirtnetError } from '../errors/virtnet-error.js';
import { runProgram } from '../exec/run-program.js';

const IFNAME_RE = /^[A-Za-z0-9_.:-]{1,15}$/;
const NETNS_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

async function readInNetns(netns: string | undefined, path: string): Promise<string> {
  if (netns === undefined) return readFileSync(path, 'utf8');
  // sysfs shows the namespace of the process that mounted it: read through `ip netns exec`.
  const { stdout } = await runProgram(['ip', 'netns', 'exec', netns, 'cat', path], { timeoutMs: 10_000 });
  return stdout;
}

/** Opens /dev/tapN of macvtap `device` `queues` times; returns the open fds (the caller closes them). */
export async function openMacvtapQueues(device: string, queues: number, netns?: string): Promise<number[]> {
  if (!IFNAME_RE.test(device)) throw new VirtnetError('MACVTAP_INVALID_NAME', `invalid macvtap name ${JSON.stringify(device)}`, { device });
  if (netns !== undefined && !NETNS_RE.test(netns)) throw new VirtnetError('NETNS_INVALID_NAME', `invalid network namespace name ${JSON.stringify(netns)}`, { netns });
  let ifindex: number;
  try {
    ifindex = Number((await readInNetns(netns, `/sys/class/net/${device}/ifindex`)).trim());
  } catch (err) {
    throw new VirtnetError('MACVTAP_NOT_FOUND', `macvtap ${device} not found${netns ? ` in ${netns}` : ''}`, { device, netns }, { cause: err });
  }
  const node = `/dev/tap${ifindex}`;
  if (!existsSync(node)) {
    const [major, minor] = (await readInNetns(netns, `/sys/class/net/${device}/macvtap/tap${ifindex}/dev`)).trim().split(':');
    if (!major || !minor) throw new VirtnetError('MACVTAP_NO_DEVICE', `macvtap ${device} has no tap character device`, { device });
    await runProgram(['mknod', '-m', '0600', node, 'c', major, minor], { timeoutMs: 10_000 });
  }
  const fds: number[] = [];
  for (let q = 0; q < queues; q++) fds.push(openSync(node, 'r+'));
  return fds;
}
