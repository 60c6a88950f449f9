// Real DHCP clients run in a guest namespace: busybox udhcpc, ISC dhclient and dhcpcd, each with
// its hook script printing the variables it received, and every file they write in the sandbox.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonPid } from '../support/daemon-pid.js';
import { runProgram } from '../../src/exec/run-program.js';
import { startDhcpCapture } from '../support/dhcp-capture.js';
import type { Sandbox } from '../support/sandbox.js';
import { hookScript, runUdhcpc } from '../support/udhcpc.js';

function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** busybox udhcpc, one DORA in the foreground; the `bound` environment, or undefined without a lease. */
export async function udhcpc(
  sb: Sandbox,
  netns: string,
  ifname: string,
  extraArgs: string[] = [],
): Promise<Record<string, string> | undefined> {
  const hook = hookScript(
    sb.dir,
    `udhcpc-${ifname}.sh`,
    '[ "$1" = bound ] && env | grep -v "^PATH=" | sed "s/^/ENV:/"; exit 0',
  );
  const r = await runUdhcpc(netns, ifname, {
    hook,
    tries: 3,
    request: ['mtu', 'search', 'staticroutes', 'ntpsrv', '240'],
    extraArgs,
  });
  if (r.exitCode !== 0) return undefined;
  return parseEnv(
    r.stdout
      .split('\n')
      .filter((l) => l.startsWith('ENV:'))
      .map((l) => l.slice(4))
      .join('\n'),
  );
}

/** ISC dhclient, one attempt; the `BOUND` environment (new_*), or undefined without a lease. */
export async function dhclient(
  sb: Sandbox,
  netns: string,
  ifname: string,
): Promise<Record<string, string> | undefined> {
  const envFile = join(sb.dir, `dhclient-${ifname}.env`);
  const hook = hookScript(
    sb.dir,
    `dhclient-${ifname}.sh`,
    `[ "$reason" = BOUND ] && env | grep '^new_' > ${envFile}; exit 0`,
  );
  const pidFile = join(sb.dir, `dhclient-${ifname}.pid`);
  const conf = join(sb.dir, `dhclient-${ifname}.conf`);
  writeFileSync(
    conf,
    'option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;\ntimeout 8;\nretry 1;\nrequest subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, domain-search, host-name, interface-mtu, rfc3442-classless-static-routes, ntp-servers;\n',
  );
  let exit = 2;
  try {
    // -1: try once; after a lease dhclient daemonises, so it is stopped by its PID file below.
    exit = (
      await runProgram(
        [
          'ip',
          'netns',
          'exec',
          netns,
          'dhclient',
          '-1',
          '-cf',
          conf,
          '-sf',
          hook,
          '-lf',
          join(sb.dir, `dhclient-${ifname}.leases`),
          '-pf',
          pidFile,
          ifname,
        ],
        {
          timeoutMs: 20_000,
          okExitCodes: [0, 2],
        },
      )
    ).exitCode;
  } finally {
    // Exit 0 means a lease and a daemon in the background, whose PID file may still be coming.
    const pid = exit === 0 ? await daemonPid(pidFile).catch(() => 0) : 0;
    if (pid > 0) {
      sb.trackPid(pid);
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  }
  return existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : undefined;
}

/** dhcpcd, oneshot IPv4 without ARP probing; the `BOUND` environment (new_*), or undefined. */
export async function dhcpcd(
  sb: Sandbox,
  netns: string,
  ifname: string,
): Promise<Record<string, string> | undefined> {
  const envFile = join(sb.dir, `dhcpcd-${ifname}.env`);
  const hook = hookScript(
    sb.dir,
    `dhcpcd-${ifname}.sh`,
    `[ "$reason" = BOUND ] && env | grep '^new_' > ${envFile}; exit 0`,
  );
  const conf = join(sb.dir, `dhcpcd-${ifname}.conf`);
  writeFileSync(
    conf,
    'option domain_name_servers, domain_name, domain_search, host_name\noption classless_static_routes, interface_mtu, ntp_servers\n',
  );
  // dhcpcd keeps its lease under /var/lib/dhcpcd by interface name; the name is unique to this sandbox.
  sb.defer(() => rmSync(`/var/lib/dhcpcd/${ifname}.lease`, { force: true }));
  await runProgram(
    [
      'ip',
      'netns',
      'exec',
      netns,
      'dhcpcd',
      '-f',
      conf,
      '-c',
      hook,
      '-4',
      '-1',
      '-B',
      '-A',
      '-t',
      '10',
      ifname,
    ],
    {
      timeoutMs: 25_000,
      okExitCodes: [0, 1],
    },
  );
  return existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : undefined;
}

/** A tcpdump capture of DHCP traffic on one interface; `stop()` returns "src > dst" per packet. */
export async function captureDhcp(
  sb: Sandbox,
  netns: string,
  ifname: string,
): Promise<{ stop(): Promise<string[]> }> {
  const file = join(sb.dir, `cap-${netns}-${ifname}.pcap`);
  const capture = startDhcpCapture(netns, ifname, file);
  sb.trackPid(capture.child.pid);
  await capture.listening;
  return {
    async stop() {
      await capture.stop();
      const r = await runProgram(['tcpdump', '-n', '-r', file], { timeoutMs: 10_000 });
      return r.stdout
        .split('\n')
        .map((l) => /IP (\S+) > (\S+):/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => `${m[1]} > ${m[2]}`);
    },
  };
}
