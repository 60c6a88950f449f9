// Pod DNS sources in their documented order: /etc/netns/<pod>/resolv.conf, then the CNI result's dns
// of a pod virtnet created, then the host's resolv.conf.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeAttachment, type PodAttachment } from '../cni/pod-store.js';
import { discoverDns } from '../host/discover.js';
import { podCniDns } from './pod-cni-dns.js';

test('pod DNS: resolv.conf of the pod, else the CNI result, else the host', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vdns-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const stateDir = join(dir, 'state');
  mkdirSync(join(stateDir, 'pods', 'p1', 'attachments'), { recursive: true });
  const attachment = {
    seq: 1,
    name: 'def',
    source: 'default',
    ifname: 'eth0',
    default: true,
    list: {},
    cniArgs: [],
    capabilityArgs: {},
    state: 'ready',
    result: { cniVersion: '1.0.0', dns: { nameservers: ['10.1.0.10'], search: ['cni.local'] } },
  } as unknown as PodAttachment;
  writeAttachment(stateDir, 'p1', attachment);
  const cniDns = podCniDns(stateDir, 'p1');
  assert.deepEqual(cniDns, { nameservers: ['10.1.0.10'], search: ['cni.local'] });
  assert.equal(podCniDns(stateDir, 'other'), undefined);
  const host = join(dir, 'host-resolv.conf');
  writeFileSync(host, 'nameserver 192.0.2.53\n');
  const etc = join(dir, 'etc-netns');
  assert.equal(
    (await discoverDns('p1', { etcNetnsDir: etc, hostResolvConf: host })).nameservers[0],
    '192.0.2.53',
  );
  assert.deepEqual(await discoverDns('p1', { etcNetnsDir: etc, hostResolvConf: host, cniDns: cniDns }), {
    nameservers: ['10.1.0.10'],
    search: ['cni.local'],
    options: [],
    source: 'cni-result',
  });
  mkdirSync(join(etc, 'p1'), { recursive: true });
  writeFileSync(join(etc, 'p1', 'resolv.conf'), 'nameserver 10.96.0.10\nsearch a.svc\n');
  const own = await discoverDns('p1', { etcNetnsDir: etc, hostResolvConf: host, cniDns: cniDns });
  assert.deepEqual(own.nameservers, ['10.96.0.10']);
  assert.equal(own.source, join(etc, 'p1', 'resolv.conf'));
  // A pod some runtime made: its own resolv.conf, named by the caller, wins over everything.
  const podFile = join(dir, 'pod-root-resolv.conf');
  writeFileSync(
    podFile,
    'nameserver 10.213.0.10\nsearch ns1.svc.cluster.local svc.cluster.local\noptions ndots:5\n',
  );
  const given = await discoverDns('p1', {
    etcNetnsDir: etc,
    hostResolvConf: host,
    cniDns,
    resolvConf: podFile,
  });
  assert.deepEqual(given, {
    nameservers: ['10.213.0.10'],
    search: ['ns1.svc.cluster.local', 'svc.cluster.local'],
    options: ['ndots:5'],
    source: podFile,
  });
  await assert.rejects(
    discoverDns('p1', { resolvConf: join(dir, 'absent') }),
    /RESOLV_CONF_UNREADABLE|cannot read/,
  );
  // A namespace named by a process: that process's root file system holds the pod's resolv.conf.
  const self = await discoverDns(`/proc/${process.pid}/ns/net`, { hostResolvConf: host });
  assert.equal(self.source, `/proc/${process.pid}/root/etc/resolv.conf`);
});
