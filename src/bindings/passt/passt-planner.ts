// Plans the passt binding: Debian's `passt` (0.0~git20230309) started in the pod namespace as a
// supervised `process.start` step, and QEMU connected to its unix socket (QEMU 7.2 `-netdev stream`,
// which speaks the same length-prefixed frame protocol as passt's qemu mode). passt translates the
// guest's L2 frames to ordinary sockets of the pod: the guest sees the pod's own IP, MAC-level gateway
// and DNS through passt's DHCP/NDP, outbound connections leave from the pod IP, and inbound the pod
// forwards exactly the declared ports (`-t`/`-u`), all unbound ports when none are declared. No host
// devices and no DHCP from virtnet. The executor stops passt by its recorded PID at teardown, then
// removes its socket.
// The socket lives in the VM's state dir (`<stateDir>/vms/<vm>/passt-<iface>.sock`, mode 0700 dir),
// not in a world-writable /tmp where another user could squat its name. sun_path holds 107 bytes: an
// interface name too long for it is replaced by a hash (`passt.<16 hex>.sock`, a name no interface
// can produce: interface names have no dots); when even that does not fit (a very long state dir or
// VM name) planning fails with PASST_SOCKET_PATH_TOO_LONG. passt creates its socket only after
// switching user (default `nobody`, who cannot enter the private state dir), so virtnet runs it as
// uid 0 explicitly (`--runas 0:0`), or as the hypervisor's user when that is not root; passt still
// drops every capability and confines itself (seccomp, empty mount namespace). Pure.
import { join } from 'node:path';
import { isLinuxInterfaceName } from '../../api/linux-ifname.js';
import type { InterfaceSpec, NetworkSpec, PortSpec } from '../../api/types.js';
import { VirtnetError } from '../../errors/virtnet-error.js';
import { DEFAULT_STATE_DIR, vmDirOf } from '../../state/state-dir.js';
import type {
  BindingContext,
  BindingModule,
  DiscoveredInterface,
  InterfacePlan,
  PlanNote,
  PlanStep,
} from '../plan-types.js';
import { fnv1aHex } from '../stable-hash.js';
import type { VmNic } from '../vm-nic.js';
import { nicFrontend } from '../nic-frontend.js';
import { podInterfaceFor, podNetworkSource } from '../pod-network.js';

/** Longest path a unix socket can be bound at: sun_path is 108 bytes with the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * passt's socket for VM interface `iface` in the VM's state dir `vmDir`: `passt-<iface>.sock`, or
 * `passt.<16 hex of iface>.sock` when that is too long for sun_path; undefined when neither fits.
 */
export function passtSocketPath(vmDir: string, iface: string): string | undefined {
  const plain = join(vmDir, `passt-${iface}.sock`);
  if (Buffer.byteLength(plain) <= MAX_SOCKET_PATH_BYTES) return plain;
  const hash = `${fnv1aHex(iface)}${fnv1aHex(iface, 0x01000193)}`;
  const hashed = join(vmDir, `passt.${hash}.sock`);
  return Buffer.byteLength(hashed) <= MAX_SOCKET_PATH_BYTES ? hashed : undefined;
}

/** passt's port SPEC for one protocol: the declared ports, `all` when none are declared at all. */
function portSpec(ports: PortSpec[], protocol: PortSpec['protocol'], anyDeclared: boolean): string {
  if (!anyDeclared) return 'all';
  const list = ports
    .filter((p) => p.protocol === protocol)
    .map((p) => p.port)
    .sort((a, b) => a - b);
  return list.length > 0 ? list.join(',') : 'none';
}

/** The passt argv (foreground, quiet, bound to the pod interface). */
export function passtArgv(options: {
  socketPath: string;
  podInterface?: string;
  ports: PortSpec[];
  mtuBytes?: number;
  runAs?: { uid: number; gid: number };
}): string[] {
  const any = options.ports.length > 0;
  return [
    'passt',
    '--foreground',
    '--quiet',
    '--socket',
    options.socketPath,
    // passt switches user (default `nobody`) before it creates its socket, which is mode 0755 (only
    // its owner may connect): the user is the one whose directory holds the socket and who connects.
    ...(options.runAs ? ['--runas', `${options.runAs.uid}:${options.runAs.gid}`] : []),
    ...(options.podInterface ? ['--interface', options.podInterface] : []),
    ...(options.mtuBytes !== undefined ? ['--mtu', String(options.mtuBytes)] : []),
    '--tcp-ports',
    portSpec(options.ports, 'TCP', any),
    '--udp-ports',
    portSpec(options.ports, 'UDP', any),
  ];
}

/** Plans one `passt: {}` interface. Throws VirtnetError with the spec field at fault. */
export function planPasst(
  iface: InterfaceSpec,
  network: NetworkSpec,
  pod: DiscoveredInterface | undefined,
  ctx: BindingContext,
): InterfacePlan {
  const field = ctx.fieldPath;
  podNetworkSource(iface, network, 'passt', field);
  const podInterface = podInterfaceFor(iface, network, pod, field);
  if (!isLinuxInterfaceName(podInterface.name)) {
    throw new VirtnetError(
      'POD_INTERFACE_UNSUITABLE',
      `pod interface ${JSON.stringify(podInterface.name)} is not a valid interface name`,
      { field, device: podInterface.name },
    );
  }
  const global = podInterface.addresses.filter((a) => a.scope === 'global');
  if (global.length === 0) {
    throw new VirtnetError(
      'PASST_NO_POD_ADDRESS',
      `interface ${iface.name}: pod interface ${podInterface.name} has no global IP address for the guest to use`,
      { field, device: podInterface.name },
    );
  }
  const vmDir = ctx.vmDir ?? vmDirOf(DEFAULT_STATE_DIR, ctx.vm.name);
  const socketPath = passtSocketPath(vmDir, iface.name);
  if (socketPath === undefined) {
    const bytes = Buffer.byteLength(join(vmDir, 'passt.0123456789abcdef.sock'));
    throw new VirtnetError(
      'PASST_SOCKET_PATH_TOO_LONG',
      `interface ${iface.name}: passt's socket in ${vmDir} would be a ${bytes}-byte path, over the ${MAX_SOCKET_PATH_BYTES} bytes a unix socket allows; use a shorter state dir (--state-dir) or VM name`,
      { field, path: vmDir },
    );
  }
  const mtuBytes = podInterface.mtuBytes;
  const steps: PlanStep[] = [
    // passt neither removes its socket on exit nor is a stale socket a sign of readiness: remove it
    // before passt starts (the executor waits for the fresh one) and again after passt stopped (undo
    // runs in reverse order). Host namespace: the state dir is the same file system in the pod.
    {
      id: `${iface.name}/passt-socket`,
      phase: 'network',
      kind: 'host.command',
      argv: ['rm', '-f', '--', socketPath],
      undoArgv: ['rm', '-f', '--', socketPath],
      summary: `remove a stale ${socketPath} (again at teardown)`,
    },
    {
      id: `${iface.name}/passt`,
      phase: 'network',
      kind: 'process.start',
      name: `passt-${iface.name}`,
      argv: passtArgv({
        socketPath,
        podInterface: podInterface.name,
        ports: iface.ports,
        mtuBytes,
        runAs: ctx.tapOwner ?? { uid: 0, gid: 0 },
      }),
      inNetns: true,
      readyPath: socketPath,
      summary: `start passt in the pod on ${podInterface.name} (socket ${socketPath})`,
    },
  ];
  const notes: PlanNote[] = [
    iface.ports.length > 0
      ? {
          level: 'info',
          code: 'PASST_PORTS',
          message: `interface ${iface.name}: inbound only on ${iface.ports.map((p) => `${p.port}/${p.protocol}`).join(', ')}`,
        }
      : {
          level: 'info',
          code: 'PASST_ALL_PORTS',
          message: `interface ${iface.name}: no ports declared, every port the pod does not use itself is forwarded to the guest`,
        },
    {
      level: 'info',
      code: 'PASST_POD_ADDRESS',
      message: `interface ${iface.name}: the guest gets the pod's own address ${global.map((a) => `${a.address}/${a.prefixLength}`).join(', ')} from passt's DHCP/NDP`,
    },
  ];
  const nic: VmNic = {
    ...nicFrontend(iface),
    // The guest may use the pod's MAC: passt answers ARP itself and never forwards L2.
    mac: iface.macAddress ?? podInterface.mac,
    mtuBytes,
    backend: { kind: 'passt', socketPath, ...(iface.ports.length > 0 ? { ports: iface.ports } : {}) },
    guestConfig: { kind: 'dhcp' },
  };
  return {
    name: iface.name,
    network: network.name,
    binding: 'passt',
    podInterface: podInterface.name,
    podInterfaceBefore: podInterface,
    createdDevices: [],
    steps,
    nic,
    notes,
  };
}

/** The passt binding module. */
export const passtBinding: BindingModule = { binding: 'passt', plan: planPasst };
