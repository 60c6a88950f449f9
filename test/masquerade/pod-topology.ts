// Test support for the masquerade scenarios: a "pod" namespace whose eth0 (MTU 1400, 10.1.1.2/24,
// fd00:1::2/64) is a veth to a "peer" namespace (a second pod on the same network, 10.1.1.3,
// fd00:1::3), socat servers, and clients that poll instead of sleeping.
import assert from 'node:assert/strict';
import { runProgram, startProgram } from '../../src/exec/run-program.js';
import type { Sandbox } from '../support/sandbox.js';

const T = { timeoutMs: 20_000 };

/** Runs argv inside `ns`; returns stdout. */
export async function inNs(ns: string, argv: string[], input?: string): Promise<string> {
  return (await runProgram(['ip', 'netns', 'exec', ns, ...argv], { ...T, input })).stdout;
}

/** A socat server in `ns` answering every connection with `reply` (shell text; $SOCAT_PEERADDR works). */
export function serve(sb: Sandbox, ns: string, listen: string, reply: string): void {
  const child = startProgram(['ip', 'netns', 'exec', ns, 'socat', listen, `SYSTEM:echo ${reply}`], {
    stdio: 'ignore',
  });
  sb.trackPid(child.pid);
}

/** What a TCP/UDP server at `address` answers, or undefined when nothing answers within ~1 s. */
export async function ask(ns: string, address: string): Promise<string | undefined> {
  try {
    const out = await inNs(ns, ['socat', '-T1', '-t1', '-', address], 'hello\n');
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Polls until a server answers (servers start asynchronously); fails after ~3 s. */
export async function answer(ns: string, address: string): Promise<string> {
  for (let i = 0; i < 30; i++) {
    const out = await ask(ns, address);
    if (out !== undefined) return out;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`no answer from ${address} in ${ns}`);
}

/** Creates the pod and peer namespaces (and an empty guest one) of the scenario. */
export async function topology(sb: Sandbox): Promise<{ pod: string; peer: string; guest: string }> {
  const [pod, peer, guest] = await Promise.all([sb.netns('pod'), sb.netns('peer'), sb.netns('guest')]);
  await runProgram(['ip', '-n', pod, '-batch', '-'], {
    ...T,
    input: [
      `link add eth0 type veth peer name eth0 netns ${peer}`,
      'addr add 10.1.1.2/24 dev eth0',
      'addr add fd00:1::2/64 dev eth0 nodad',
      // A pod MTU below the guest's 1500 shows that bridge, TAP, DHCP and RA carry the pod's MTU.
      'link set eth0 mtu 1400 up',
    ].join('\n'),
  });
  await runProgram(['ip', '-n', peer, '-batch', '-'], {
    ...T,
    input: [
      'addr add 10.1.1.3/24 dev eth0',
      'addr add fd00:1::3/64 dev eth0 nodad',
      'link set eth0 mtu 1400 up',
    ].join('\n'),
  });
  return { pod, peer, guest };
}
