// What the container runtime tells a CNI plugin through its environment (CNI spec, "Parameters"):
// the command, the container, its network namespace (possibly empty on DEL), the interface name,
// CNI_ARGS and CNI_PATH, plus the Kubernetes pod identity CNI_ARGS carries. Pure: takes the
// environment as a map.
import { isLinuxInterfaceName } from '../../api/linux-ifname.js';
import { VirtnetError } from '../../errors/virtnet-error.js';
import type { CniCommand } from '../plugin-exec.js';

/** The decoded environment of one plugin call. */
export interface CniEnv {
  command: CniCommand;
  containerId: string;
  /** Empty when the runtime no longer has the namespace (later DELs). */
  netns: string;
  ifname: string;
  args: [string, string][];
  cniPath: string[];
  pod?: { namespace: string; name: string; uid?: string };
}

const COMMANDS: readonly CniCommand[] = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'];
// CNI spec: the container ID is alphanumeric plus `_`, `.` and `-`, starting alphanumeric. It also
// names a cache file, so nothing else may pass.
const CONTAINER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

function invalid(variable: string, message: string): VirtnetError {
  return new VirtnetError('CNI_INVALID_ENVIRONMENT', `${variable}: ${message}`, { field: variable });
}

/** Parses CNI_ARGS (`K=V;K=V`). */
export function parseCniArgs(text: string): [string, string][] {
  if (text.trim() === '') return [];
  return text.split(';').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw invalid('CNI_ARGS', `${JSON.stringify(pair)} is not KEY=VALUE`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  });
}

/** Decodes the CNI environment. ADD, DEL and CHECK need a container and an interface; ADD and CHECK a netns. */
export function parseCniEnv(env: Record<string, string | undefined>): CniEnv {
  const command = env.CNI_COMMAND;
  if (!COMMANDS.includes(command as CniCommand))
    throw invalid('CNI_COMMAND', `unknown command ${JSON.stringify(command ?? '')}`);
  const out: CniEnv = {
    command: command as CniCommand,
    containerId: env.CNI_CONTAINERID ?? '',
    netns: env.CNI_NETNS ?? '',
    ifname: env.CNI_IFNAME ?? '',
    args: parseCniArgs(env.CNI_ARGS ?? ''),
    cniPath: (env.CNI_PATH ?? '').split(':').filter((p) => p !== ''),
  };
  if (out.command === 'ADD' || out.command === 'DEL' || out.command === 'CHECK') {
    if (!CONTAINER_ID_RE.test(out.containerId))
      throw invalid('CNI_CONTAINERID', `invalid container ID ${JSON.stringify(out.containerId)}`);
    if (!isLinuxInterfaceName(out.ifname))
      throw invalid('CNI_IFNAME', `invalid interface name ${JSON.stringify(out.ifname)}`);
    if (out.command !== 'DEL' && out.netns === '')
      throw invalid('CNI_NETNS', `${out.command} needs the network namespace`);
  }
  const arg = (k: string) => out.args.find(([key]) => key === k)?.[1];
  const namespace = arg('K8S_POD_NAMESPACE');
  const name = arg('K8S_POD_NAME');
  if (namespace && name) {
    out.pod = { namespace, name };
    const uid = arg('K8S_POD_UID');
    if (uid) out.pod.uid = uid;
  }
  return out;
}
