// A minimal client of the CNI proxy's per-pod socket (what a pod-side agent would use).
import { request } from 'node:http';

/** A proxy response: HTTP status and the decoded JSON body. */
export interface ProxyResponse {
  status: number;
  body: unknown;
}

/** Sends `method path` with an optional JSON body to the proxy socket at `socketPath`. */
export function proxyRequest(
  socketPath: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  timeoutMs = 120_000,
): Promise<ProxyResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* keep text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`proxy request timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
