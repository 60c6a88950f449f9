// The admission webhook's HTTPS server: AdmissionReview v1 in, the decision of admission.ts out, on
// `/validate-vmi` and `/mutate-vmi`; `/readyz` answers 200 once the server may be called.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterConfig } from '../api/index.js';
import { mutateAdmission, reviewResponse, validateAdmission, type AdmissionReview } from './admission.js';
import { MUTATE_PATH, VALIDATE_PATH } from './manifests.js';

/** The apiserver sends at most 3 MiB objects; more is not a review. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface WebhookServerOptions {
  port: number;
  host?: string;
  cert: string;
  key: string;
  cluster?: ClusterConfig;
  log?: (msg: string) => void;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Starts the server; resolves once it listens. */
export async function startWebhookServer(opts: WebhookServerOptions): Promise<Server> {
  const decide = { [VALIDATE_PATH]: validateAdmission, [MUTATE_PATH]: mutateAdmission } as const;
  const server = createServer({ cert: opts.cert, key: opts.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (req.method === 'GET' && (path === '/readyz' || path === '/healthz')) return send(res, 200, 'ok');
    const handler = path === VALIDATE_PATH || path === MUTATE_PATH ? decide[path] : undefined;
    if (!handler || req.method !== 'POST') return send(res, 404, 'not found');
    readBody(req)
      .then((text) => {
        const review = JSON.parse(text) as AdmissionReview;
        send(
          res,
          200,
          reviewResponse(review, (r) => handler(r, opts.cluster)),
        );
      })
      .catch((err: unknown) => {
        opts.log?.(`bad admission request on ${path}: ${err instanceof Error ? err.message : String(err)}`);
        send(res, 400, 'bad AdmissionReview');
      });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return server;
}
