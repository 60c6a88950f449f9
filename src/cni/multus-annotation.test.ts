import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import {
  formatNetworksAnnotation,
  formatShortNetworksAnnotation,
  parseDefaultNetworkAnnotation,
  parseNetworksAnnotation,
} from './multus-annotation.js';
import { isLinuxInterfaceName } from '../api/linux-ifname.js';
import { hashedPodIfname } from './pod-ifname.js';
import { parseGenieAnnotation } from './genie-annotation.js';

test('short form: ns/name@if, comma separated', () => {
  assert.deepEqual(parseNetworksAnnotation('macvlan-conf, other/sriov@sr0,plain'), [
    { name: 'macvlan-conf' },
    { name: 'sriov', namespace: 'other', interface: 'sr0' },
    { name: 'plain' },
  ]);
  assert.deepEqual(parseNetworksAnnotation('  '), []);
});

test('JSON form with mac, ips, default-route round-trips', () => {
  const text =
    '[{"name":"a","namespace":"ns1","interface":"eth9","mac":"02:00:00:00:00:01","ips":["10.0.0.5/24"],"default-route":["10.0.0.1"]},{"name":"b"}]';
  const parsed = parseNetworksAnnotation(text);
  assert.deepEqual(parsed[0], {
    name: 'a',
    namespace: 'ns1',
    interface: 'eth9',
    mac: '02:00:00:00:00:01',
    ips: ['10.0.0.5/24'],
    defaultRoute: ['10.0.0.1'],
  });
  assert.deepEqual(parseNetworksAnnotation(formatNetworksAnnotation(parsed)), parsed);
  assert.equal(formatShortNetworksAnnotation(parsed), undefined);
  assert.equal(
    formatShortNetworksAnnotation([{ name: 'x', namespace: 'n', interface: 'i' }, { name: 'y' }]),
    'n/x@i,y',
  );
});

test('bad annotations name the field', () => {
  const cases: [string, string][] = [
    ['[{"name":"a","mac":"nope"}]', 'networks[0].mac'],
    ['a,b@this-name-is-too-long', 'networks[1].interface'],
    ['[{"name":"a","ips":["1.2.3"]}]', 'networks[0].ips[0]'],
    ['[{"interface":"x"}]', 'networks[0].name'],
    ['{"name":"a"}', 'networks'],
    ['Bad_Name', 'networks[0].name'],
  ];
  for (const [text, field] of cases) {
    assert.throws(
      () => parseNetworksAnnotation(text),
      (e) => isVirtnetError(e, 'MULTUS_ANNOTATION_INVALID') && e.detail.field === field,
      text,
    );
  }
});

test('default-network annotation', () => {
  assert.deepEqual(parseDefaultNetworkAnnotation('kube-system/flannel'), {
    name: 'flannel',
    namespace: 'kube-system',
  });
  assert.deepEqual(parseDefaultNetworkAnnotation('macvlan-test'), { name: 'macvlan-test' });
  assert.throws(() => parseDefaultNetworkAnnotation('a@eth1'), /always eth0/);
});

test('KubeVirt hashed interface names fit IFNAMSIZ', () => {
  assert.equal(hashedPodIfname('blue'), 'pod16477688c0e');
  assert.ok(isLinuxInterfaceName(hashedPodIfname('a-very-long-network-name-indeed')));
  assert.equal(isLinuxInterfaceName('sixteen-bytes-xx'), false);
});

test('Genie annotation', () => {
  assert.deepEqual(parseGenieAnnotation('flannel, ovs'), ['flannel', 'ovs']);
  assert.throws(() => parseGenieAnnotation('a,a'), /twice/);
  assert.throws(() => parseGenieAnnotation(''), /no networks/);
});
