// bench/dhcp's virtnet peer: serves the lease file given as argv[2] with virtnet's Dhcp4Server, its
// sockets in namespace argv[3], from a process of its own (as a VM's virtnet process does), until
// SIGTERM. Prints `ready` once bound.
import { readDhcp4ServerConfig } from '../src/dhcp/config-file.js';
import { Dhcp4Server } from '../src/dhcp/server.js';
import { inNetns } from '../src/host/netns-switch.js';
import { netnsPath } from '../src/host/netns.js';

const [configPath, netns] = process.argv.slice(2);
if (configPath === undefined || netns === undefined) throw new Error('usage: dhcp-virtnet-server CONFIG NETNS');
const path = netnsPath({ name: netns });
const server = new Dhcp4Server(await readDhcp4ServerConfig(configPath), { inNamespace: (fn) => inNetns(path, fn) });
server.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => server.stop());
