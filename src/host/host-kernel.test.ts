// The host layer against the real kernel, inside a sandbox namespace: every link type the bindings
// create (bridge, multi-queue TAP with owner, veth, macvlan, macvtap), bridge-port learning, MAC/MTU,
// typed errors from real iproute2 failures, sysctls per namespace, and kernel feature detection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { needsRoot, sandbox } from '../../test/support/sandbox.js';
import { bridgePortLines, ensureLinkLines, moveLinkLines, setLinkLines } from './ensure.js';
import { runIpBatch } from './ip.js';
import { hasKernelFeature, missingFeatureReason } from './kernel-features.js';
import { findLink, readNetnsState } from './netns-state.js';
import { readSysctls, writeSysctls } from './sysctl.js';

test('links of every kind the bindings use, created idempotently', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const ns = await sb.netns('h');
  let state = await readNetnsState(ns);
  const lines = [
    ...ensureLinkLines(
      state,
      { type: 'bridge' },
      { device: 'br0', mac: '02:00:00:00:00:01', mtuBytes: 1400, up: true },
    ),
    ...ensureLinkLines(
      state,
      { type: 'tap', multiQueue: true, vnetHdr: true, ownerUid: 107, ownerGid: 107 },
      { device: 'tap0', master: 'br0', mtuBytes: 1400, up: true },
    ),
    ...ensureLinkLines(state, { type: 'veth', peerName: 'vb' }, { device: 'va', master: 'br0', up: true }),
  ];
  if (await hasKernelFeature('macvlan'))
    lines.push(
      ...ensureLinkLines(state, { type: 'macvlan', parent: 'vb', mode: 'bridge' }, { device: 'mvl0' }),
    );
  if (await hasKernelFeature('macvtap'))
    lines.push(
      ...ensureLinkLines(state, { type: 'macvtap', parent: 'vb', mode: 'bridge' }, { device: 'mvt0' }),
    );
  await runIpBatch(ns, lines);
  state = await readNetnsState(ns);
  const br = findLink(state, 'br0')!;
  assert.equal(br.mac, '02:00:00:00:00:01');
  assert.equal(br.mtuBytes, 1400);
  const tap = findLink(state, 'tap0')!;
  const { ownerGid, ownerGroupName, ...tun } = tap.tun!;
  assert.deepEqual(tun, { type: 'tap', multiQueue: true, vnetHdr: true, persist: true, ownerUid: 107 });
  assert.ok(ownerGid === 107 || ownerGroupName !== undefined, 'group recorded (by number or by name)');
  assert.equal(tap.master, 'br0');
  assert.equal(findLink(state, 'va')!.bridgePort?.learning, true);
  if (await hasKernelFeature('macvtap')) assert.equal(findLink(state, 'mvt0')!.macvlanMode, 'bridge');
  // Everything satisfied: nothing to do.
  assert.deepEqual(
    ensureLinkLines(
      state,
      { type: 'bridge' },
      { device: 'br0', mac: '02:00:00:00:00:01', mtuBytes: 1400, up: true },
    ),
    [],
  );
  await runIpBatch(ns, bridgePortLines(state, 'va', { learning: false }));
  await runIpBatch(ns, setLinkLines(state, { device: 'va', mac: '02:00:00:00:00:0a' }));
  state = await readNetnsState(ns);
  assert.equal(findLink(state, 'va')!.bridgePort?.learning, false);
  assert.equal(findLink(state, 'va')!.mac, '02:00:00:00:00:0a');
  // Move the veth peer into another namespace; replaying the move is a no-op.
  const other = await sb.netns('h2');
  await runIpBatch(ns, moveLinkLines(state, 'vb', other));
  assert.ok(findLink(await readNetnsState(other), 'vb'));
  assert.deepEqual(moveLinkLines(await readNetnsState(ns), 'vb', other), []);
});

test(
  'real iproute2 failures become typed errors naming the line and device',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.netns('e');
    await runIpBatch(ns, ['link add br0 type bridge']);
    await assert.rejects(
      runIpBatch(ns, ['link set dev br0 up', 'link add br0 type bridge']),
      (e) => isVirtnetError(e, 'LINK_EXISTS') && e.detail.line === 2,
    );
    await assert.rejects(
      runIpBatch(ns, ['link set dev nope0 up']),
      (e) => isVirtnetError(e, 'NO_SUCH_DEVICE') && e.detail.device === 'nope0',
    );
    await assert.rejects(readNetnsState(`${sb.prefix}missing`), (e) => isVirtnetError(e, 'NETNS_NOT_FOUND'));
    // By path (what /proc/PID/ns/net looks like): same results and errors.
    assert.ok(findLink(await readNetnsState(`/var/run/netns/${ns}`), 'br0'));
    await assert.rejects(readNetnsState(`/var/run/netns/${sb.prefix}missing`), (e) =>
      isVirtnetError(e, 'NETNS_NOT_FOUND'),
    );
    if (!(await hasKernelFeature('dummy'))) {
      await assert.rejects(runIpBatch(ns, ['link add d0 type dummy']), (e) =>
        isVirtnetError(e, 'KERNEL_FEATURE_MISSING'),
      );
      assert.match((await missingFeatureReason('dummy'))!, /no dummy/);
    }
  },
);

test(
  'sysctls are per namespace, keys with dotted device names included',
  { skip: needsRoot() },
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.netns('s');
    await runIpBatch(ns, ['link add br0.5 type bridge']);
    writeSysctls(ns, [
      { key: 'net/ipv4/conf/all/arp_ignore', value: '1' },
      { key: 'net/ipv4/conf/br0.5/arp_ignore', value: '2' },
    ]);
    const values = readSysctls(ns, [
      'net/ipv4/conf/all/arp_ignore',
      'net/ipv4/conf/br0.5/arp_ignore',
      'net/ipv4/conf/nope/arp_ignore',
    ]);
    assert.equal(values.get('net/ipv4/conf/all/arp_ignore'), '1');
    assert.equal(values.get('net/ipv4/conf/br0.5/arp_ignore'), '2');
    assert.equal(values.get('net/ipv4/conf/nope/arp_ignore'), undefined);
    assert.throws(
      () => writeSysctls(ns, [{ key: 'net/ipv4/conf/nope/arp_ignore', value: '1' }]),
      (e) => isVirtnetError(e, 'SYSCTL_FAILED'),
    );
  },
);
