// Host bridges the CNI bridge plugin creates for virtnet's own shipped network (virtnet0) outlive
// every CNI DEL. Once the last pod's veth is gone, the bridge is removed so that a finished run leaves
// no link behind; a bridge that still has ports, or that does not exist, is left alone.
import { isVirtnetError } from '../errors/virtnet-error.js';
import { runIp } from './ip.js';
import { assertIfName } from './link-names.js';

/** Deletes host bridge `name` when it exists and has no ports; true when it was deleted. */
export async function deleteBridgeIfIdle(name: string): Promise<boolean> {
  assertIfName(name);
  let ports: unknown[];
  try {
    ports = JSON.parse((await runIp(undefined, ['-j', 'link', 'show', 'master', name])) || '[]') as unknown[];
  } catch (err) {
    if (isVirtnetError(err)) return false;
    throw err;
  }
  if (ports.length > 0) return false;
  try {
    await runIp(undefined, ['link', 'del', name, 'type', 'bridge']);
    return true;
  } catch (err) {
    if (isVirtnetError(err)) return false;
    throw err;
  }
}
