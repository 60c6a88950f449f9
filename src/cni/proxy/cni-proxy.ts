// The CNI proxy: a host-side service through which a pod asks for one more interface
// from a host network, or gives one back. One unix socket per registered pod — the socket a request
// arrives on IS the pod's identity, so no request can touch another pod's namespace whatever its body
// says. Interfaces it adds are recorded as pod attachments on disk, so deleting the pod removes them
// even after the proxy was SIGKILLed.
//   POST   /interfaces           {network, ifname?, mac?}  → 201 + the CNI result
//   DELETE /interfaces/{ifname}                             → 200 {deleted}
//   GET    /interfaces                                      → 200 {pod, interfaces: [...]}
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { NetworkCatalog } from '../network-catalog.js';
import { listPods, readPod, type PodRuntimeOptions } from '../pod.js';
import { addPodInterface, removePodInterface, validatePodInterfaceRequest } from '../pod-interface.js';
import { readPodRecord } from '../pod-store.js';
import { parseResult } from '../result.js';
import { networkStatusEntry } from '../network-status.js';
import { VirtnetError } from '../../errors/virtnet-error.js';
import { badRequest, errorBody, httpStatusOf } from './proxy-errors.js';

/** Proxy configuration. */
export interface CniProxyOptions extends PodRuntimeOptions {
  socketDir: string;
  stateDir: string;
  cniConfDir?: string;
  nadFiles?: string[];
  /** How often the state dir is re-read for new and deleted pods (ms); 0 disables polling. */
  pollIntervalMs?: number;
  /** Told about every socket opened (path) or closed (undefined), e.g. to log it. */
  onSocket?: (pod: string, socketPath: string | undefined) => void;
}

// sockaddr_un.sun_path is 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH_BYTES = 107;
const MAX_BODY_BYTES = 64 * 1024;

/** The socket of pod `name` in `socketDir`. */
export function podSocketPath(socketDir: string, name: string): string {
  return join(socketDir, `${name}.sock`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES)
        reject(badRequest('PROXY_BAD_REQUEST', `request body larger than ${MAX_BODY_BYTES} bytes`));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The proxy: one HTTP server per registered pod. */
export class CniProxy {
  private readonly servers = new Map<string, Server>();
  private timer: NodeJS.Timeout | undefined;
  private readonly catalogs = new Map<string, NetworkCatalog>();

  constructor(private readonly opts: CniProxyOptions) {}

  /**
   * The networks pod `pod` may ask for: the proxy's own --cni-conf-dir/--nad when given, else the
   * conf dir and NADs the pod was created from.
   */
  private catalogFor(pod: string): NetworkCatalog {
    const own = this.opts.cniConfDir !== undefined || (this.opts.nadFiles?.length ?? 0) > 0;
    const key = own ? '' : pod;
    let catalog = this.catalogs.get(key);
    if (!catalog) {
      const rec = own ? undefined : readPodRecord(this.opts.stateDir, pod);
      const c: ConstructorParameters<typeof NetworkCatalog>[0] = { stateDir: this.opts.stateDir };
      const confDir = own ? this.opts.cniConfDir : rec?.cniConfDir;
      const nads = own ? this.opts.nadFiles : rec?.nadFiles;
      if (confDir !== undefined) c.cniConfDir = confDir;
      if (nads !== undefined) c.nadFiles = nads;
      catalog = new NetworkCatalog(c);
      this.catalogs.set(key, catalog);
    }
    return catalog;
  }

  /** Creates the socket dir, registers every ready pod and starts following the state dir. */
  async start(): Promise<void> {
    mkdirSync(this.opts.socketDir, { recursive: true, mode: 0o700 });
    // Sockets a killed proxy left for pods that are gone since.
    const pods = new Set(listPods(this.opts.stateDir).map((p) => p.name));
    for (const f of readdirSync(this.opts.socketDir)) {
      if (f.endsWith('.sock') && !pods.has(f.slice(0, -'.sock'.length)))
        rmSync(join(this.opts.socketDir, f), { force: true });
    }
    await this.sync();
    const every = this.opts.pollIntervalMs ?? 250;
    if (every > 0) {
      this.timer = setInterval(() => void this.sync().catch(() => undefined), every);
      this.timer.unref();
    }
  }

  /** Registers pods that appeared and unregisters pods that went away. */
  async sync(): Promise<void> {
    const ready = new Set(
      listPods(this.opts.stateDir)
        .filter((p) => p.status === 'ready')
        .map((p) => p.name),
    );
    for (const name of ready) if (!this.servers.has(name)) await this.registerPod(name);
    for (const name of [...this.servers.keys()]) if (!ready.has(name)) await this.unregisterPod(name);
  }

  /** Names of the registered pods. */
  registeredPods(): string[] {
    return [...this.servers.keys()].sort();
  }

  /** Opens pod `name`'s socket (owner-only permissions); a stale socket file is replaced. */
  async registerPod(name: string): Promise<string> {
    if (this.servers.has(name)) return podSocketPath(this.opts.socketDir, name);
    if (!readPodRecord(this.opts.stateDir, name))
      throw new VirtnetError('PROXY_POD_NOT_FOUND', `pod ${name} does not exist`, { field: 'pod' });
    const path = podSocketPath(this.opts.socketDir, name);
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
      throw new VirtnetError(
        'PROXY_SOCKET_PATH_TOO_LONG',
        `socket path ${path} exceeds ${MAX_SOCKET_PATH_BYTES} bytes`,
        { field: 'socketDir' },
      );
    rmSync(path, { force: true });
    const server = createServer((req, res) => void this.handle(name, req, res));
    this.servers.set(name, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);
    this.opts.onSocket?.(name, path);
    return path;
  }

  /** Closes pod `name`'s socket and removes the file. */
  async unregisterPod(name: string): Promise<void> {
    const server = this.servers.get(name);
    if (!server) return;
    this.servers.delete(name);
    this.catalogs.delete(name);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    rmSync(podSocketPath(this.opts.socketDir, name), { force: true });
    this.opts.onSocket?.(name, undefined);
  }

  /** Stops following the state dir and closes every socket. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const name of [...this.servers.keys()]) await this.unregisterPod(name);
  }

  private async handle(pod: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://proxy');
      const path = url.pathname.replace(/\/+$/, '');
      if (path === '/interfaces' && req.method === 'GET') return send(res, 200, this.list(pod));
      if (path === '/interfaces' && req.method === 'POST')
        return send(res, 201, await this.add(pod, await readBody(req)));
      const m = /^\/interfaces\/([^/]+)$/.exec(path);
      if (m && req.method === 'DELETE')
        return send(res, 200, await this.remove(pod, decodeURIComponent(m[1]!)));
      throw badRequest('PROXY_ROUTE_NOT_FOUND', `no route ${req.method ?? ''} ${path}`);
    } catch (err) {
      send(res, httpStatusOf(err), errorBody(err));
    }
  }

  private list(pod: string) {
    const state = readPod(pod, this.opts.stateDir);
    if (!state)
      throw new VirtnetError('PROXY_POD_NOT_READY', `pod ${pod} no longer exists`, { field: 'pod' });
    return {
      pod,
      interfaces: state.attachments
        .filter((a) => a.state === 'ready')
        .map((a) => {
          const parsed = a.result ? parseResult(a.result) : undefined;
          const result = parsed?.ok ? parsed.result : undefined;
          return {
            ...networkStatusEntry(a.name, a.ifname, result, a.default),
            source: a.source,
            result: a.result ?? null,
          };
        }),
    };
  }

  private async add(pod: string, bodyText: string): Promise<Record<string, unknown>> {
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      throw badRequest('PROXY_BAD_REQUEST', 'request body must be a JSON object');
    }
    const a = await addPodInterface(
      pod,
      this.opts.stateDir,
      this.catalogFor(pod),
      validatePodInterfaceRequest(body),
      this.opts,
    );
    return a.result!;
  }

  private async remove(pod: string, ifname: string): Promise<{ deleted: string }> {
    await removePodInterface(pod, this.opts.stateDir, ifname, this.opts);
    return { deleted: ifname };
  }
}
