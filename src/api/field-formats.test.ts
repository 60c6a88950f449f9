import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMacAddress, isMulticastMac, normaliseMac } from './mac-address.js';
import { isPciAddress } from './pci-address.js';
import { checkIPv4Cidr, isIPv4, isIPv6, isIPv6Cidr } from './ip-address.js';
import { isDnsLabel, isDnsSubdomain, isIanaServiceName } from './dns-name.js';
import { isLinuxInterfaceName } from './linux-ifname.js';
import { quantityMiB } from './quantity.js';
import { deriveVmName } from './vm-name.js';

test("MAC addresses as KubeVirt's validateMacAddress reads them (Go net.ParseMAC, then at most 6 octets)", () => {
  for (const ok of [
    'de:ad:00:00:be:af',
    'DE-AD-00-00-BE-AF',
    'ff:ff:ff:ff:ff:ff',
    'dead.0000.beaf',
    'DEAD.0000.BEAF',
  ])
    assert.equal(checkMacAddress(ok), undefined, ok);
  // ParseMAC refuses mixed separators, bare hex, single digits and octet counts other than 6, 8, 20.
  for (const bad of [
    'de:ad:00:00:be',
    'de:ad-00:00:be:af',
    'dead0000beaf',
    'g0:00:00:00:00:00',
    '0:0:0:0:0:0',
    '',
    ':::::',
    'de:ad:00:00:be:af:01',
    'dead.0000.be:f',
  ])
    assert.equal(checkMacAddress(bad), 'MAC_INVALID', bad);
  // Eight (EUI-64) and twenty (InfiniBand) octets parse, and KubeVirt calls them too long.
  assert.equal(checkMacAddress('01-23-45-67-89-ab-cd-ef'), 'MAC_TOO_LONG');
  assert.equal(checkMacAddress('0123.4567.89ab.cdef'), 'MAC_TOO_LONG');
  assert.equal(checkMacAddress(Array.from({ length: 20 }, () => '0a').join(':')), 'MAC_TOO_LONG');
  assert.equal(normaliseMac('DE-AD-00-00-BE-AF'), 'de:ad:00:00:be:af');
  assert.equal(normaliseMac('DEAD.0000.BEAF'), 'de:ad:00:00:be:af');
  assert.equal(isMulticastMac('01:00:5e:00:00:01'), true);
  assert.equal(isMulticastMac('02:00:00:00:00:01'), false);
});

test('PCI addresses DDDD:BB:SS.F with slot ≤ 1f and function 0-7', () => {
  for (const ok of ['0000:81:00.1', '0000:00:1f.7', 'FFFF:FF:00.0']) assert.ok(isPciAddress(ok), ok);
  for (const bad of [
    '0000:81:00.8',
    '0000:81:20.0',
    '81:00.1',
    '0000:81:00',
    '0000:81:00.1 ',
    '0x00:81:00.1',
  ])
    assert.ok(!isPciAddress(bad), bad);
});

test('IP addresses and CIDRs', () => {
  assert.ok(isIPv4('10.0.0.1') && !isIPv4('10.0.0.256') && !isIPv4('010.0.0.1') && !isIPv4('1.2.3'));
  for (const ok of ['::1', 'fd10:0:2::2', '::', '2001:db8::ffff:10.0.0.1', '1:2:3:4:5:6:7:8'])
    assert.ok(isIPv6(ok), ok);
  for (const bad of ['fd10:::1', '1:2:3:4:5:6:7:8:9', 'g::1', '1::2::3', '10.0.0.1'])
    assert.ok(!isIPv6(bad), bad);
  assert.equal(checkIPv4Cidr('10.0.2.0/24'), undefined);
  assert.equal(checkIPv4Cidr('10.0.2.0/30'), undefined);
  assert.equal(checkIPv4Cidr('10.0.2.0/31'), 'CIDR_TOO_SMALL');
  assert.equal(checkIPv4Cidr('10.0.2.0/33'), 'CIDR_INVALID');
  assert.equal(checkIPv4Cidr('10.0.2.0/024'), 'CIDR_INVALID');
  assert.ok(isIPv6Cidr('fd10:0:2::/120') && !isIPv6Cidr('fd10::/129') && !isIPv6Cidr('fd10::'));
});

test('Kubernetes names', () => {
  assert.ok(isDnsLabel('web-1') && !isDnsLabel('Web') && !isDnsLabel('-a') && !isDnsLabel('a'.repeat(64)));
  assert.ok(isDnsSubdomain('lab.example') && !isDnsSubdomain('a..b') && !isDnsSubdomain('a_b'));
  assert.ok(
    isIanaServiceName('http') &&
      isIanaServiceName('x11') &&
      !isIanaServiceName('80') &&
      !isIanaServiceName('a--b') &&
      !isIanaServiceName('sixteen-chars-xx'),
  );
});

test('Linux interface names: ≤ 15 bytes, no "/", ":" or spaces', () => {
  assert.ok(isLinuxInterfaceName('eth0') && isLinuxInterfaceName('a'.repeat(15)));
  for (const bad of ['', '.', '..', 'a'.repeat(16), 'a/b', 'a:b', 'a b', 'ééééééééé'])
    assert.ok(!isLinuxInterfaceName(bad), bad);
});

test('memory quantities in MiB', () => {
  assert.equal(quantityMiB('128Mi'), 128);
  assert.equal(quantityMiB('1Gi'), 1024);
  assert.equal(quantityMiB('1G'), 954);
  assert.equal(quantityMiB('1e9'), 954);
  assert.equal(quantityMiB('lots'), undefined);
});

test('derived VM names are DNS labels', () => {
  assert.equal(deriveVmName('/x/My Spec_v2.yaml', 0, 1), 'my-spec-v2');
  assert.equal(deriveVmName('-', 1, 3), 'vm-1');
  assert.ok(isDnsLabel(deriveVmName(`${'a'.repeat(100)}.json`, 12, 20)));
});
