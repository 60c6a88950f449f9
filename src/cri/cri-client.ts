// A client of the container runtime's CRI v1 RuntimeService (containerd, CRI-O) on its unix socket: the
// node agent finds a pod's sandbox by the labels the kubelet puts on it and reads, from the runtime's
// verbose status, the sandbox's network namespace and the PID of its pause process. The service
// definition is the CRI's own api.proto (vendored beside this file; the build copies it to dist).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { VirtnetError } from '../errors/virtnet-error.js';

/** Labels the kubelet sets on every pod sandbox. */
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
export const POD_UID_LABEL = 'io.kubernetes.pod.uid';

/** A pod sandbox as ListPodSandbox reports it. */
export interface PodSandbox {
  id: string;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  createdAt: bigint;
  labels: Record<string, string>;
  metadata: { name: string; namespace: string; uid: string; attempt: number };
}

/** What the node agent needs of a sandbox: its network namespace and its pause process. */
export interface SandboxNetwork {
  id: string;
  state: PodSandbox['state'];
  /** The nsfs path of the sandbox's network namespace, e.g. /var/run/netns/cni-<uuid>. */
  netnsPath: string;
  /** The sandbox's pause process (its /proc/PID/root is the pod's root file system). */
  pid: number;
  /** The pod IP the runtime reports (from the CNI result). */
  ip?: string;
  additionalIps: string[];
}

/** The runtime's socket as grpc-js names it: `unix:///path` (a bare path or `unix://` URL given). */
export function criTarget(address: string): string {
  if (address.startsWith('unix://')) return `unix://${address.slice('unix://'.length)}`;
  if (address.startsWith('/')) return `unix://${address}`;
  throw new VirtnetError('CRI_ADDRESS_INVALID', `CRI address ${address} is not a unix socket path`, {
    field: 'criAddress',
  });
}

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;
interface RuntimeServiceStub extends grpc.Client {
  ListPodSandbox(req: unknown, opts: grpc.CallOptions, cb: Callback<{ items?: RawSandbox[] }>): void;
  PodSandboxStatus(
    req: unknown,
    opts: grpc.CallOptions,
    cb: Callback<{ status?: RawSandboxStatus; info?: Record<string, string> }>,
  ): void;
}
interface RawSandbox {
  id: string;
  state: string;
  createdAt: string;
  labels?: Record<string, string>;
  metadata?: { name: string; namespace: string; uid: string; attempt: number };
}
interface RawSandboxStatus {
  id: string;
  state: string;
  network?: { ip?: string; additionalIps?: { ip: string }[] };
}

/** The proto file: beside this module (dist/cri after the build's copy, src/cri under tsx). */
function protoPath(): string {
  const path = fileURLToPath(new URL('./api.proto', import.meta.url));
  if (!existsSync(path))
    throw new VirtnetError(
      'CRI_PROTO_MISSING',
      `${path} is missing: the build copies src/cri/api.proto there`,
    );
  return path;
}

let serviceCtor: grpc.ServiceClientConstructor | undefined;
function runtimeServiceCtor(): grpc.ServiceClientConstructor {
  if (serviceCtor) return serviceCtor;
  const definition = protoLoader.loadSync(protoPath(), {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } };
  };
  serviceCtor = pkg.runtime.v1.RuntimeService;
  return serviceCtor;
}

/** The sandbox's network namespace path and pause PID from PodSandboxStatus's verbose `info`. */
export function sandboxNetworkFromInfo(info: Record<string, string> | undefined): {
  netnsPath?: string;
  pid?: number;
} {
  const text = info?.info;
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  const doc = parsed as {
    pid?: unknown;
    runtimeSpec?: { linux?: { namespaces?: { type?: string; path?: string }[] } };
  };
  const ns = doc.runtimeSpec?.linux?.namespaces?.find((n) => n.type === 'network');
  return {
    ...(typeof ns?.path === 'string' && ns.path !== '' ? { netnsPath: ns.path } : {}),
    ...(typeof doc.pid === 'number' && doc.pid > 0 ? { pid: doc.pid } : {}),
  };
}

/** One connection to the runtime's CRI socket. */
export class CriClient {
  private readonly stub: RuntimeServiceStub;

  constructor(
    readonly address: string,
    private readonly timeoutMs = 10_000,
  ) {
    const Ctor = runtimeServiceCtor();
    this.stub = new Ctor(
      criTarget(address),
      grpc.credentials.createInsecure(),
    ) as unknown as RuntimeServiceStub;
  }

  close(): void {
    this.stub.close();
  }

  private call<T>(name: 'ListPodSandbox' | 'PodSandboxStatus', req: unknown): Promise<T> {
    const method = (this.stub[name] as (r: unknown, o: grpc.CallOptions, cb: Callback<T>) => void).bind(
      this.stub,
    );
    return new Promise((resolve, reject) => {
      method(req, { deadline: Date.now() + this.timeoutMs }, (err, value) => {
        if (err)
          reject(
            new VirtnetError(
              'CRI_CALL_FAILED',
              `CRI ${name} on ${this.address}: ${err.details || err.message}`,
              {
                grpcCode: err.code,
              },
            ),
          );
        else resolve(value as T);
      });
    });
  }

  /** Sandboxes whose labels include all of `labels` (ready ones only unless `all`), newest first. */
  async listPodSandboxes(labels: Record<string, string>, all = false): Promise<PodSandbox[]> {
    const filter = { labelSelector: labels, ...(all ? {} : { state: { state: 'SANDBOX_READY' } }) };
    const res = await this.call<{ items?: RawSandbox[] }>('ListPodSandbox', { filter });
    return (res.items ?? [])
      .map((s) => ({
        id: s.id,
        state: s.state === 'SANDBOX_READY' ? ('SANDBOX_READY' as const) : ('SANDBOX_NOTREADY' as const),
        createdAt: BigInt(s.createdAt || '0'),
        labels: s.labels ?? {},
        metadata: s.metadata ?? { name: '', namespace: '', uid: '', attempt: 0 },
      }))
      .sort((a, b) => (a.createdAt === b.createdAt ? 0 : a.createdAt > b.createdAt ? -1 : 1));
  }

  /** The sandbox's namespace, pause PID and IPs. Throws CRI_SANDBOX_INCOMPLETE when the runtime omits them. */
  async sandboxNetwork(id: string): Promise<SandboxNetwork> {
    const res = await this.call<{ status?: RawSandboxStatus; info?: Record<string, string> }>(
      'PodSandboxStatus',
      {
        podSandboxId: id,
        verbose: true,
      },
    );
    const { netnsPath, pid } = sandboxNetworkFromInfo(res.info);
    if (netnsPath === undefined || pid === undefined)
      throw new VirtnetError(
        'CRI_SANDBOX_INCOMPLETE',
        `sandbox ${id}: the runtime's verbose status names no network namespace or pause PID`,
        { sandbox: id },
      );
    const net = res.status?.network;
    return {
      id,
      state: res.status?.state === 'SANDBOX_READY' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
      netnsPath,
      pid,
      ...(net?.ip ? { ip: net.ip } : {}),
      additionalIps: (net?.additionalIps ?? []).map((a) => a.ip).filter(Boolean),
    };
  }

  /** The ready sandbox of pod `namespace/name` (uid when given), or undefined while there is none. */
  async findPodSandbox(pod: {
    namespace: string;
    name: string;
    uid?: string;
  }): Promise<SandboxNetwork | undefined> {
    const labels: Record<string, string> = {
      [POD_NAMESPACE_LABEL]: pod.namespace,
      [POD_NAME_LABEL]: pod.name,
    };
    if (pod.uid !== undefined) labels[POD_UID_LABEL] = pod.uid;
    const [newest] = await this.listPodSandboxes(labels);
    return newest ? this.sandboxNetwork(newest.id) : undefined;
  }
}
