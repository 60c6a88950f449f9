// A device plugin as the kubelet's device manager sees one (deviceplugin.proto, v1beta1): a gRPC
// server on a unix socket in the kubelet's plugin directory, registered through the kubelet's own
// socket there, streaming its device list (ListAndWatch) and answering Allocate with what a container
// gets. The kubelet clears that directory when it starts: when our socket disappears, or the
// kubelet's socket comes back, the server binds and registers again (an inotify watch, no timer).
import { existsSync, mkdirSync, rmSync, watch, type FSWatcher } from 'node:fs';
import type { Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { VirtnetError } from '../errors/virtnet-error.js';
import { authorityFront } from './h2-authority-front.js';

export const DEVICE_PLUGIN_API_VERSION = 'v1beta1';
export const KUBELET_SOCKET = 'kubelet.sock';

export interface PluginDevice {
  id: string;
  healthy: boolean;
}

/** What one container gets for the device IDs the kubelet chose. */
export interface ContainerAllocation {
  devices: { containerPath: string; hostPath: string; permissions: string }[];
  envs?: Record<string, string>;
}

export interface DevicePluginOptions {
  /** The kubelet's device plugin directory (its socket and ours). */
  dir: string;
  /** Our socket's file name in `dir`. */
  endpoint: string;
  /**
   * A directory of our own for the gRPC server's socket; the one in `dir` is a front that makes
   * older kubelets' requests acceptable to Node (h2-authority-front.ts).
   */
  serverDir: string;
  /** The extended resource, `vendor-domain/type`. */
  resourceName: string;
  devices: PluginDevice[];
  allocate: (deviceIds: string[]) => ContainerAllocation;
  log?: (msg: string) => void;
}

interface Services {
  Registration: grpc.ServiceClientConstructor;
  DevicePlugin: grpc.ServiceClientConstructor;
}

let services: Services | undefined;
function loadServices(): Services {
  if (services) return services;
  const path = fileURLToPath(new URL('./deviceplugin.proto', import.meta.url));
  if (!existsSync(path))
    throw new VirtnetError('CRI_PROTO_MISSING', `${path} is missing: the build copies src/cri/*.proto there`);
  const def = protoLoader.loadSync(path, { keepCase: true, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { v1beta1: Services };
  services = pkg.v1beta1;
  return services;
}

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

/** The kubelet's Registration service as the generated client has it. */
interface RegistrationClient extends grpc.Client {
  Register(req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void): void;
}

/** One device plugin; start() binds and registers, stop() unbinds and removes its socket. */
export class DevicePluginServer {
  private server: grpc.Server | undefined;
  private front: NetServer | undefined;
  private watcher: FSWatcher | undefined;
  private readonly streams = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  private restarting: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: DevicePluginOptions) {}

  private get socket(): string {
    return join(this.opts.dir, this.opts.endpoint);
  }

  private get serverSocket(): string {
    return join(this.opts.serverDir, this.opts.endpoint);
  }

  private log(msg: string): void {
    this.opts.log?.(msg);
  }

  async start(): Promise<void> {
    await this.serveAndRegister();
    // The kubelet's restart removes our socket and makes its own anew: serve and register again.
    this.watcher = watch(this.opts.dir, () => {
      if (this.stopped || this.restarting) return;
      if (existsSync(this.socket) || !existsSync(join(this.opts.dir, KUBELET_SOCKET))) return;
      this.restarting = this.serveAndRegister()
        .catch((err: unknown) => this.log(`device plugin ${this.opts.resourceName}: ${String(err)}`))
        .finally(() => (this.restarting = undefined));
    });
  }

  private async serveAndRegister(): Promise<void> {
    this.closeServer();
    rmSync(this.socket, { force: true });
    rmSync(this.serverSocket, { force: true });
    mkdirSync(this.opts.serverDir, { recursive: true, mode: 0o700 });
    const { DevicePlugin } = loadServices();
    const server = new grpc.Server();
    server.addService(DevicePlugin.service, this.handlers());
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${this.serverSocket}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    this.server = server;
    this.front = await authorityFront(this.socket, this.serverSocket);
    await this.register();
    this.log(`device plugin ${this.opts.resourceName}: registered (${this.opts.devices.length} devices)`);
  }

  private register(): Promise<void> {
    const { Registration } = loadServices();
    const client = new Registration(
      `unix://${join(this.opts.dir, KUBELET_SOCKET)}`,
      grpc.credentials.createInsecure(),
    ) as unknown as RegistrationClient;
    const request = {
      version: DEVICE_PLUGIN_API_VERSION,
      endpoint: this.opts.endpoint,
      resource_name: this.opts.resourceName,
      options: { pre_start_required: false, get_preferred_allocation_available: false },
    };
    return new Promise<void>((resolve, reject) =>
      client.Register(request, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null) => {
        client.close();
        if (err)
          reject(
            new VirtnetError(
              'DEVICE_PLUGIN_REGISTER',
              `the kubelet refused ${this.opts.resourceName}: ${err.message}`,
              {
                resource: this.opts.resourceName,
              },
            ),
          );
        else resolve();
      }),
    );
  }

  private handlers(): grpc.UntypedServiceImplementation {
    const devices = () => ({
      devices: this.opts.devices.map((d) => ({ ID: d.id, health: d.healthy ? 'Healthy' : 'Unhealthy' })),
    });
    return {
      GetDevicePluginOptions: ((_call, cb) =>
        cb(null, { pre_start_required: false, get_preferred_allocation_available: false })) as Unary<
        unknown,
        unknown
      >,
      // The list once; the stream stays open while the plugin serves (the kubelet reads it as alive).
      ListAndWatch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        this.streams.add(call);
        call.on('cancelled', () => this.streams.delete(call));
        call.write(devices());
      },
      GetPreferredAllocation: ((_call, cb) => cb(null, { container_responses: [] })) as Unary<
        unknown,
        unknown
      >,
      Allocate: ((call, cb) => {
        const req = call.request as { container_requests?: { devices_ids?: string[] }[] };
        try {
          const container_responses = (req.container_requests ?? []).map((c) => {
            const a = this.opts.allocate(c.devices_ids ?? []);
            return {
              envs: a.envs ?? {},
              mounts: [],
              annotations: {},
              devices: a.devices.map((d) => ({
                container_path: d.containerPath,
                host_path: d.hostPath,
                permissions: d.permissions,
              })),
            };
          });
          cb(null, { container_responses });
        } catch (err) {
          cb({ code: grpc.status.INTERNAL, message: err instanceof Error ? err.message : String(err) }, null);
        }
      }) as Unary<unknown, unknown>,
      PreStartContainer: ((_call, cb) => cb(null, {})) as Unary<unknown, unknown>,
    };
  }

  private closeServer(): void {
    for (const s of this.streams) s.end();
    this.streams.clear();
    this.front?.close();
    this.front = undefined;
    this.server?.forceShutdown();
    this.server = undefined;
  }

  /** Unbinds and removes the socket: the kubelet then sees the resource go. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    await this.restarting;
    this.closeServer();
    rmSync(this.socket, { force: true });
    rmSync(this.serverSocket, { force: true });
  }
}
