// Opens the character device of a macvtap once per queue, so QEMU gets it as `-netdev tap,fd=N` (the
// embedded equivalent of libvirt's type='direct'). The macvtap usually lives in a pod namespace, where
// its ifindex — and so the kernel's `tapIFINDEX` device name — may equal one in another namespace;
// devtmpfs then has only one /dev/tapN. So the device numbers are read from the namespace's own sysfs
// and a private node is created in the VM's run dir.
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isLinuxInterfaceName } from '../api/linux-ifname.js';
import { VirtnetError } from '../errors/virtnet-error.js';
import { runProgram } from '../exec/run-program.js';

const NETNS_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

async function readSysfs(netns: string | undefined, path: string): Promise<string> {
  // `ip netns exec` mounts the namespace's own /sys for the command.
  const argv = netns === undefined ? ['cat', path] : ['ip', 'netns', 'exec', netns, 'cat', path];
  return (await runProgram(argv, { timeoutMs: 10_000 })).stdout.trim();
}

/**
 * Opens macvtap `device` (in `netns`, else the current namespace) `queues` times through a node
 * created in `nodeDir`; returns the open fds (the caller closes them).
 */
export async function openMacvtapQueues(
  device: string,
  queues: number,
  nodeDir: string,
  netns?: string,
): Promise<number[]> {
  if (!isLinuxInterfaceName(device))
    throw new VirtnetError('MACVTAP_INVALID_NAME', `invalid macvtap name ${JSON.stringify(device)}`, {
      device,
    });
  if (netns !== undefined && !NETNS_RE.test(netns))
    throw new VirtnetError('NETNS_INVALID_NAME', `invalid network namespace name ${JSON.stringify(netns)}`, {
      netns,
    });
  let devNumbers: string;
  try {
    const ifindex = await readSysfs(netns, `/sys/class/net/${device}/ifindex`);
    devNumbers = await readSysfs(netns, `/sys/class/net/${device}/macvtap/tap${ifindex}/dev`);
  } catch (err) {
    throw new VirtnetError(
      'MACVTAP_NOT_FOUND',
      `macvtap ${device} not found${netns ? ` in ${netns}` : ''}`,
      { device, netns },
      { cause: err },
    );
  }
  const [major, minor] = devNumbers.split(':');
  if (!major || !minor || !/^\d+$/.test(major) || !/^\d+$/.test(minor)) {
    throw new VirtnetError('MACVTAP_NO_DEVICE', `macvtap ${device} has no tap character device`, { device });
  }
  const node = join(nodeDir, `macvtap-${device}`);
  if (existsSync(node)) rmSync(node);
  await runProgram(['mknod', '-m', '0600', node, 'c', major, minor], { timeoutMs: 10_000 });
  const fds: number[] = [];
  try {
    for (let q = 0; q < queues; q++) fds.push(openSync(node, 'r+'));
    return fds;
  } catch (err) {
    for (const fd of fds) closeSync(fd);
    throw new VirtnetError(
      'MACVTAP_OPEN_FAILED',
      `cannot open macvtap ${device}: ${(err as Error).message}`,
      { device },
      { cause: err },
    );
  } finally {
    // The open fds keep the device; the node is not needed any more.
    rmSync(node, { force: true });
  }
}
