import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestConsoleParser, parseConsoleLine } from './guest-console.js';

test('a full NIC line parses into a report', () => {
  const e = parseConsoleLine(
    'VIRTNET-NIC name=eth0 mac=52:54:00:12:34:56 ipv4=10.77.0.58/24 mtu=1450 queues=4 gw=10.77.0.1 dns=10.96.0.10,10.96.0.11 search=ns.svc.cluster.local,svc.cluster.local ipv6=fd10:0:2::2/120,fd00::5/64 gw6=fe80::1 driver=virtio_net pci=0000:00:03.0 tftp=tftp.test bootfile=pxelinux.0 dhcp=bound\r',
  );
  assert.deepEqual(e, {
    kind: 'nic',
    nic: {
      name: 'eth0',
      mac: '52:54:00:12:34:56',
      ipv4: '10.77.0.58/24',
      gateway4: '10.77.0.1',
      mtuBytes: 1450,
      queues: 4,
      dns: ['10.96.0.10', '10.96.0.11'],
      search: ['ns.svc.cluster.local', 'svc.cluster.local'],
      ipv6: ['fd10:0:2::2/120', 'fd00::5/64'],
      gateway6: 'fe80::1',
      driver: 'virtio_net',
      pci: '0000:00:03.0',
      tftpServer: 'tftp.test',
      bootFile: 'pxelinux.0',
      dhcp: 'bound',
    },
  });
});

test('a NIC without a lease, boot and ready lines, junk before the marker', () => {
  assert.deepEqual(
    parseConsoleLine('VIRTNET-NIC name=eth1 mac=02:00:00:00:00:02 ipv4=none mtu=1500 queues=1 dhcp=failed'),
    {
      kind: 'nic',
      nic: {
        name: 'eth1',
        mac: '02:00:00:00:00:02',
        mtuBytes: 1500,
        queues: 1,
        dns: [],
        search: [],
        ipv6: [],
        dhcp: 'failed',
      },
    },
  );
  assert.deepEqual(
    parseConsoleLine('Booting from ROM..\x1b[?7l\x1b[2J.VIRTNET-BOOT kernel=6.1.0-56-amd64 hostname=vm1'),
    { kind: 'boot', kernel: '6.1.0-56-amd64', hostname: 'vm1' },
  );
  assert.deepEqual(parseConsoleLine('VIRTNET-READY nics=2 uptime=5.96'), {
    kind: 'ready',
    nics: 2,
    uptimeSeconds: 5.96,
  });
  assert.equal(parseConsoleLine('[    1.2] virtio_net virtio0 eth0: renamed'), undefined);
  assert.equal(parseConsoleLine('VIRTNET-NIC name=eth0'), undefined);
  assert.equal(parseConsoleLine('VIRTNET-NICE x=1'), undefined);
});

test('the stream parser joins chunks split mid-line', () => {
  const p = new GuestConsoleParser();
  assert.deepEqual(p.push('noise\nVIRTNET-RE'), []);
  assert.deepEqual(p.push('ADY nics=1 uptime=1.5\r\nVIRTNET-POWER'), [
    { kind: 'ready', nics: 1, uptimeSeconds: 1.5 },
  ]);
  assert.deepEqual(p.push('OFF\n'), [{ kind: 'poweroff' }]);
});
