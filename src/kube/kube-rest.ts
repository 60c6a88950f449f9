// The smallest Kubernetes REST client, over node:https with a kubeconfig's or the service account's
// credentials: GET an object, list and watch a collection, merge-patch an object. For the CNI plugin
// (short-lived: client-node's start-up would dominate) and the node agent (one per node: client-node
// alone would triple its memory). The controller and the webhook use kube-client.ts.
import { readFileSync } from 'node:fs';
import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { VirtnetError } from '../errors/virtnet-error.js';
import type { ApiServerCredentials } from './kubeconfig.js';
import { LineSplitter, parseWatchEvent, type WatchEvent } from './watch-events.js';

export const DEFAULT_KUBE_REQUEST_TIMEOUT_MS = 10_000;
/** How long the server keeps one watch open before ending it (the client then watches again). */
export const WATCH_SECONDS = 300;

/** Query parameters of a request. */
export type Query = Record<string, string | undefined>;

/** A list response: the items and the resourceVersion to watch from. */
export interface KubeList<T> {
  metadata?: { resourceVersion?: string };
  items: T[];
}

/** An open watch: `done` resolves when it ends (the server's timeout or abort()), rejects on an error. */
export interface OpenWatch {
  done: Promise<void>;
  abort(): void;
}

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
  private lastToken: string | undefined;

  constructor(
    private readonly creds: ApiServerCredentials,
    private readonly timeoutMs = DEFAULT_KUBE_REQUEST_TIMEOUT_MS,
  ) {
    this.agent = creds.server.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true })
      : new HttpAgent({ keepAlive: true });
    this.lastToken = creds.token;
  }

  /** The bearer token, read again from its file at each request: bound service account tokens rotate. */
  private token(): string | undefined {
    if (this.creds.tokenFile === undefined) return this.creds.token;
    try {
      const token = readFileSync(this.creds.tokenFile, 'utf8').trim();
      if (token !== '') this.lastToken = token;
    } catch {
      // Being replaced right now: the last one read is still good for a while.
    }
    return this.lastToken;
  }

  /** Starts a request; `onResponse` gets the response, `onError` a KubeRequestError (status 0). */
  private start(
    method: string,
    path: string,
    opts: { body?: string; contentType?: string; timeoutMs: number },
    onResponse: (res: IncomingMessage) => void,
    onError: (err: KubeRequestError) => void,
  ): ClientRequest {
    const url = new URL(`${this.creds.server}${path}`);
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (opts.body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    }
    const what = `${method} ${path}`;
    const options = {
      method,
      headers,
      agent: this.agent,
      timeout: opts.timeoutMs,
      ...(url.protocol === 'https:'
        ? {
            ca: this.creds.ca,
            cert: this.creds.cert,
            key: this.creds.key,
            rejectUnauthorized: !this.creds.insecureSkipTlsVerify,
          }
        : {}),
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (err) =>
      onError(
        new KubeRequestError(0, `${what}: API server ${this.creds.server} not reached: ${err.message}`, {
          request: what,
        }),
      ),
    );
    req.end(opts.body);
    return req;
  }

  private send(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolvePromise, reject) => {
      this.start(
        method,
        path,
        {
          ...(payload !== undefined ? { body: payload } : {}),
          ...(contentType ? { contentType } : {}),
          timeoutMs: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              try {
                return resolvePromise(text === '' ? undefined : JSON.parse(text));
              } catch {
                return resolvePromise(undefined);
              }
            }
            reject(httpError(`${method} ${path}`, status, text));
          });
        },
        reject,
      );
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

  /** GET the collection at `path` (with label and field selectors in `query`). */
  async list<T>(path: string, query: Query = {}): Promise<KubeList<T>> {
    const list = (await this.send('GET', withQuery(path, query))) as KubeList<T> | undefined;
    return { ...list, items: list?.items ?? [] };
  }

  /**
   * Watches the collection at `path` from `resourceVersion`, calling `onEvent` for each event. An
   * ERROR event (410 Gone: the version is too old, relist) ends it with a KubeRequestError of its
   * code. The server ends a watch after WATCH_SECONDS; a connection silent for longer is cut.
   */
  watch(
    path: string,
    query: Query,
    resourceVersion: string,
    onEvent: (event: WatchEvent) => void,
  ): OpenWatch {
    const what = `GET ${path} (watch)`;
    let req: ClientRequest | undefined;
    let aborted = false;
    const done = new Promise<void>((resolvePromise, reject) => {
      const fail = (err: Error) => {
        req?.destroy();
        if (aborted) resolvePromise();
        else reject(err);
      };
      const full = withQuery(path, {
        ...query,
        watch: '1',
        resourceVersion,
        allowWatchBookmarks: 'true',
        timeoutSeconds: String(WATCH_SECONDS),
      });
      req = this.start(
        'GET',
        full,
        { timeoutMs: (WATCH_SECONDS + 60) * 1000 },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => fail(httpError(what, status, Buffer.concat(chunks).toString('utf8'))));
            res.on('error', fail);
            return;
          }
          const lines = new LineSplitter();
          const take = (line: string): boolean => {
            const event = parseWatchEvent(line);
            if (event.type === 'ERROR') {
              const s = event.object as { code?: unknown; message?: unknown };
              const code = typeof s.code === 'number' ? s.code : 500;
              fail(
                new KubeRequestError(
                  code,
                  `${what}: ${code}${typeof s.message === 'string' ? `: ${s.message}` : ''}`,
                  { request: what },
                ),
              );
              return false;
            }
            onEvent(event);
            return true;
          };
          res.on('data', (chunk: Buffer) => {
            try {
              for (const line of lines.push(chunk)) if (!take(line)) return;
            } catch (err) {
              fail(err as Error);
            }
          });
          res.on('end', () => {
            try {
              for (const line of lines.end()) if (!take(line)) return;
              resolvePromise();
            } catch (err) {
              fail(err as Error);
            }
          });
          res.on('error', fail);
          // A connection cut mid-watch: 'close' without the response's end.
          res.on('close', () => {
            if (!res.complete) fail(new KubeRequestError(0, `${what}: connection lost`, { request: what }));
          });
        },
        fail,
      );
    });
    return {
      done,
      abort: () => {
        aborted = true;
        req?.destroy();
      },
    };
  }

  /** PATCH `path` with an RFC 7386 merge patch; returns the patched object. */
  mergePatch(path: string, patch: unknown): Promise<unknown> {
    return this.send('PATCH', path, patch, 'application/merge-patch+json');
  }
}

/** `path` with the defined entries of `query`. */
function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
  const q = params.toString();
  return q === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${q}`;
}

/** The error of a non-2xx answer, with the Status message the server sent. */
function httpError(what: string, status: number, body: string): KubeRequestError {
  let message: unknown;
  try {
    message = (JSON.parse(body) as { message?: unknown } | null)?.message;
  } catch {
    message = undefined;
  }
  return new KubeRequestError(
    status,
    `${what}: HTTP ${status}${typeof message === 'string' ? `: ${message}` : ''}`,
    { request: what },
  );
}
