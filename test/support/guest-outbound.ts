// Test support for outbound traffic from the virtnet guest: a TCP listener in a namespace that
// answers each connection with the address it came from, and the request that makes the guest
// connect out through its /cgi-bin/connect probe (guest/connect.cgi, guest/README.md).
import assert from 'node:assert/strict';
import { runProgram, startProgram } from '../../src/exec/run-program.js';
import type { Sandbox } from './sandbox.js';

/** What the listener answers: `peer=ADDRESS got=LINE` for the first line each connection sends. */
export const PEER_REPLY = /^peer=(\S+) got=(.*)$/m;

/**
 * Starts `socat` listening on TCP `port` (IPv4, or IPv6 with `family` 6) in `ns`, killed at sandbox
 * cleanup; resolves once it listens. Returns a stop function that kills it by PID.
 */
export async function listenForGuest(
  sb: Sandbox,
  ns: string,
  port: number,
  family: 4 | 6 = 4,
): Promise<() => void> {
  // Reads the line before answering so the reply never races an unread line (which would be an RST).
  const child = startProgram(
    [
      'ip',
      'netns',
      'exec',
      ns,
      'socat',
      `TCP${family}-LISTEN:${port},reuseaddr,fork`,
      'SYSTEM:read line; echo "peer=$SOCAT_PEERADDR got=$line"',
    ],
    { stdio: 'ignore' },
  );
  sb.trackPid(child.pid);
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  for (let i = 0; i < 50; i++) {
    const res = await runProgram(['ip', 'netns', 'exec', ns, 'ss', '-Hltn', `sport = :${port}`], {
      timeoutMs: 10_000,
    });
    if (res.stdout.trim() !== '') return stop;
    await new Promise((r) => setTimeout(r, 100));
  }
  stop();
  assert.fail(`socat did not listen on port ${port} in ${ns}`);
}

/**
 * From namespace `ns`, asks the guest's HTTP server at `guestIp:httpPort` to connect to
 * `host:port`; returns the HTTP response (status line, headers, body), or '' when nothing answered.
 */
export async function guestConnect(
  ns: string,
  guestIp: string,
  httpPort: number,
  host: string,
  port: number,
): Promise<string> {
  const request = `GET /cgi-bin/connect?host=${encodeURIComponent(host)}&port=${port} HTTP/1.0\r\n\r\n`;
  // The probe bounds itself at ~5 s in the guest; -w 15 leaves room for TCG.
  const argv = ['ip', 'netns', 'exec', ns, 'nc', '-w', '15', guestIp, String(httpPort)];
  const res = await runProgram(argv, { timeoutMs: 30_000, input: request }).catch(() => ({ stdout: '' }));
  return res.stdout;
}

/** The source address the listener saw, asserting the guest's probe connected and its line arrived. */
export function peerAddressOf(response: string): string {
  assert.match(response, /^HTTP\/1\.[01] 200/, `the guest's outbound connection succeeded:\n${response}`);
  const m = PEER_REPLY.exec(response);
  assert.ok(m, `listener reply in:\n${response}`);
  assert.match(m[2]!, /^VIRTNET-CONNECT hostname=/, "the guest's line reached the listener");
  return m[1]!;
}
