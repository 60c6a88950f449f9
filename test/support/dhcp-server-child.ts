// virtnet's DHCP server in a process of its own, as a VM's virtnet process serves: the lease file
// argv[2], sockets in namespace argv[3], log records as JSON lines appended to argv[4] (optional).
// Prints `ready` once bound; SIGTERM closes the sockets and the process ends. For tests that watch
// the server from outside (its memory, its survival) and for bench/dhcp.
import { appendFileSync } from 'node:fs';
import { readDhcp4ServerConfig } from '../../src/dhcp/config-file.js';
import { Dhcp4Server } from '../../src/dhcp/server.js';
import { inNetns } from '../../src/host/netns-switch.js';
import { netnsPath } from '../../src/host/netns.js';

const [configPath, netns, logPath] = process.argv.slice(2);
if (configPath === undefined || netns === undefined)
  throw new Error('usage: dhcp-server-child CONFIG NETNS [LOG]');
const path = netnsPath({ name: netns });
const log =
  logPath === undefined
    ? undefined
    : (record: object): void => appendFileSync(logPath, `${JSON.stringify(record)}\n`);
const server = new Dhcp4Server(await readDhcp4ServerConfig(configPath), {
  inNamespace: (fn) => inNetns(path, fn),
  ...(log ? { log } : {}),
});
server.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  server.stop();
  log?.({ event: 'stopped', stats: server.stats() });
});
