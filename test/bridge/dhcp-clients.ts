// Real DHCP clients (udhcpc, dhclient, dhcpcd) run in a guest namespace: each reports what it got
// through a script that dumps its environment, so the tests see the client's own view of the lease.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export type DhcpClient = 'udhcpc' | 'dhclient' | 'dhcpcd';

/** Which clients are installed (a missing one is skipped with a reason). */
export function clientMissing(client: DhcpClient): string | undefined {
  const paths = {
    udhcpc: ['/sbin/udhcpc', '/usr/sbin/udhcpc', '/usr/bin/udhcpc'],
    dhclient: ['/sbin/dhclient', '/usr/sbin/dhclient'],
    dhcpcd: ['/sbin/dhcpcd', '/usr/sbin/dhcpcd'],
  }[client];
  return paths.some((p) => existsSync(p)) ? undefined : `${client} is not installed`;
}

function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).replace(/^'(.*)'$/, '$1');
  }
  return out;
}

/** What a client got, normalised across clients. */
export interface ClientLease {
  address: string;
  prefixLength: number;
  routers: string[];
  dns: string[];
  search: string;
  hostname: string;
  mtu: string;
  classlessRoutes: string;
  serverId: string;
  raw: Record<string, string>;
}

function maskToPrefix(mask: string): number {
  return mask.split('.').reduce((n, o) => n + Number(o).toString(2).replaceAll('0', '').length, 0);
}

/** Kills every process whose network namespace is `netns` (processes the test started in its own namespace). */
export function killProcessesIn(netns: string): void {
  let inode: number;
  try {
    inode = statSync(`/var/run/netns/${netns}`).ino;
  } catch {
    return;
  }
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) === `net:[${inode}]`) process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone or not ours to read */
    }
  }
}

/** Runs `client` once on `ifname` in `netns`; resolves with the lease it reports. */
export async function runClient(
  client: DhcpClient,
  netns: string,
  ifname: string,
  dir: string,
): Promise<ClientLease> {
  const out = join(dir, `${client}-${ifname}`);
  const script = join(dir, `${client}-${ifname}.sh`);
  // Written then renamed: the test polls for the file and must never read it half-written.
  writeFileSync(script, `#!/bin/sh\nenv > "${out}.tmp.$$" && mv "${out}.tmp.$$" "${out}.\${1:-$reason}"\n`);
  chmodSync(script, 0o755);
  let argv: string[];
  let done: string;
  if (client === 'udhcpc') {
    argv = [
      'udhcpc',
      '-i',
      ifname,
      '-n',
      '-q',
      '-f',
      '-t',
      '10',
      '-T',
      '1',
      '-s',
      script,
      '-O',
      'mtu',
      '-O',
      'staticroutes',
      '-O',
      'search',
      '-O',
      'hostname',
      '-O',
      'domain',
    ];
    done = `${out}.bound`;
  } else if (client === 'dhclient') {
    const conf = join(dir, 'dhclient.conf');
    writeFileSync(
      conf,
      [
        'option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;',
        'request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, domain-search, host-name, interface-mtu, rfc3442-classless-static-routes;',
        '',
      ].join('\n'),
    );
    argv = [
      'dhclient',
      '-1',
      '-cf',
      conf,
      '-sf',
      script,
      '-lf',
      join(dir, `dhclient-${ifname}.lease`),
      '-pf',
      join(dir, `dhclient-${ifname}.pid`),
      ifname,
    ];
    done = `${out}.BOUND`;
  } else {
    // --test: dhcpcd calls the script with reason TEST on the offer and changes nothing.
    argv = [
      'dhcpcd',
      '-T',
      '-4',
      '-c',
      script,
      '-o',
      'domain_search,classless_static_routes,interface_mtu,host_name,domain_name',
      '-t',
      '15',
      ifname,
    ];
    done = `${out}.TEST`;
  }
  // dhclient and dhcpcd daemonise helpers; stdio ignored so nothing holds our pipes. The caller kills
  // everything left in the guest namespace (killProcessesIn).
  const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: 'ignore' });
  child.on('error', () => undefined);
  for (let i = 0; i < 300 && !existsSync(done); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(done)) {
    child.kill('SIGKILL');
    throw new Error(`${client} on ${ifname} in ${netns} got no lease`);
  }
  const env = parseEnv(readFileSync(done, 'utf8'));
  if (client === 'udhcpc') {
    return {
      address: env.ip ?? '',
      prefixLength: Number(env.mask ?? 0),
      routers: (env.router ?? '').split(' ').filter(Boolean),
      dns: (env.dns ?? '').split(' ').filter(Boolean),
      search: env.search ?? '',
      hostname: env.hostname ?? '',
      mtu: env.mtu ?? '',
      classlessRoutes: env.staticroutes ?? '',
      serverId: env.serverid ?? '',
      raw: env,
    };
  }
  return {
    address: env.new_ip_address ?? '',
    prefixLength: env.new_subnet_cidr ? Number(env.new_subnet_cidr) : maskToPrefix(env.new_subnet_mask ?? ''),
    routers: (env.new_routers ?? '').split(' ').filter(Boolean),
    dns: (env.new_domain_name_servers ?? '').split(' ').filter(Boolean),
    search: env.new_domain_search ?? '',
    hostname: env.new_host_name ?? '',
    mtu: env.new_interface_mtu ?? '',
    classlessRoutes: env.new_classless_static_routes ?? env.new_rfc3442_classless_static_routes ?? '',
    serverId: env.new_dhcp_server_identifier ?? '',
    raw: env,
  };
}

/** Runs a command in a namespace and returns stdout. */
export function inNs(netns: string, argv: string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', netns, ...argv], {
    encoding: 'utf8',
    input: input ?? '',
    timeout: 15_000,
  });
}
