// The smallest Kubernetes REST client: GET an object and merge-patch one, over node:https with a
// kubeconfig's credentials. For short-lived programs (the CNI plugin), where client-node's start-up
// cost would dominate; long-running components use kube-client.ts.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { VirtnetError } from '../errors/virtnet-error.js';
import type { ApiServerCredentials } from './kubeconfig.js';

export const DEFAULT_KUBE_REQUEST_TIMEOUT_MS = 10_000;

/** An API error: `status` is the HTTP status (0 when the server was not reached). */
export class KubeRequestError extends VirtnetError {
  constructor(
    readonly status: number,
    message: string,
    detail: Record<string, unknown>,
  ) {
    super('KUBE_API_ERROR', message, { ...detail, status });
  }
}

/** A client for one API server. */
export class KubeRest {
  // One connection (one TLS handshake) for all of a call's requests; idle sockets do not keep the
  // process alive (the agent unrefs them).
  private readonly agent: HttpAgent;

  constructor(
    private readonly creds: ApiServerCredentials,
    private readonly timeoutMs = DEFAULT_KUBE_REQUEST_TIMEOUT_MS,
  ) {
    this.agent = creds.server.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true })
      : new HttpAgent({ keepAlive: true });
  }

  private send(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const url = new URL(`${this.creds.server}${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.creds.token) headers.Authorization = `Bearer ${this.creds.token}`;
    if (payload !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const what = `${method} ${path}`;
    return new Promise((resolvePromise, reject) => {
      const options = {
        method,
        headers,
        agent: this.agent,
        timeout: this.timeoutMs,
        ...(url.protocol === 'https:'
          ? {
              ca: this.creds.ca,
              cert: this.creds.cert,
              key: this.creds.key,
              rejectUnauthorized: !this.creds.insecureSkipTlsVerify,
            }
          : {}),
      };
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolvePromise(parsed);
          const message = (parsed as { message?: unknown } | undefined)?.message;
          reject(
            new KubeRequestError(
              status,
              `${what}: HTTP ${status}${typeof message === 'string' ? `: ${message}` : ''}`,
              { request: what },
            ),
          );
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) =>
        reject(
          new KubeRequestError(0, `${what}: API server ${this.creds.server} not reached: ${err.message}`, {
            request: what,
          }),
        ),
      );
      req.end(payload);
    });
  }

  /** GET `path`; undefined when the object does not exist (404). */
  async get(path: string): Promise<unknown> {
    try {
      return await this.send('GET', path);
    } catch (err) {
      if (err instanceof KubeRequestError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** PATCH `path` with an RFC 7386 merge patch; returns the patched object. */
  mergePatch(path: string, patch: unknown): Promise<unknown> {
    return this.send('PATCH', path, patch, 'application/merge-patch+json');
  }
}
