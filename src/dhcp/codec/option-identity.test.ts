// encode∘decode is the identity for every option of the table, alone and inside a whole message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOOTREQUEST, decodeMessage, emptyMessage, encodeMessage, getOption, setOption } from './message.js';
import {
  OPTIONS,
  decodeOptionValue,
  encodeOptionValue,
  type OptionName,
  type OptionValue,
} from './option-table.js';

/** A representative value for every option in the table; the test fails when a row has none. */
const samples: { [N in OptionName]: OptionValue<N>[] } = {
  subnetMask: ['255.255.255.0', '255.255.0.0'],
  timeOffset: [-3600, 0, 7200],
  routers: [['10.0.0.1'], ['10.0.0.1', '10.0.0.2']],
  domainNameServers: [['10.96.0.10', '8.8.8.8']],
  hostName: ['vm-1'],
  domainName: ['cluster.local'],
  interfaceMtu: [1450, 9000],
  broadcastAddress: ['10.0.0.255'],
  staticRoutes: [['10.1.0.0', '10.0.0.1']],
  ntpServers: [['192.0.2.1']],
  vendorSpecific: [Uint8Array.from([1, 2, 3])],
  requestedIpAddress: ['10.0.0.5'],
  leaseTimeSeconds: [3600, 0xffffffff],
  optionOverload: [1, 2, 3],
  messageType: [1, 2, 3, 4, 5, 6, 7, 8],
  serverIdentifier: ['169.254.75.10'],
  parameterRequestList: [[1, 3, 6, 12, 15, 26, 28, 42, 119, 121]],
  message: ['address not available'],
  maxMessageSize: [576, 1500],
  renewalTimeSeconds: [1800],
  rebindingTimeSeconds: [3150],
  vendorClassIdentifier: [Uint8Array.from(Buffer.from('udhcp 1.35.0'))],
  clientIdentifier: [Uint8Array.from([1, 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01])],
  tftpServerName: ['tftp.example.org'],
  bootfileName: ['pxelinux.0'],
  userClass: [Uint8Array.from([4, 0x61, 0x62, 0x63, 0x64])],
  rapidCommit: [true],
  clientFqdn: [Uint8Array.from([0, 0, 0, 0x76, 0x6d])],
  clientSystemArchitecture: [Uint8Array.from([0, 7])],
  clientNetworkInterfaceId: [Uint8Array.from([1, 2, 1])],
  clientMachineId: [Uint8Array.from([0, ...new Array<number>(16).fill(7)])],
  autoConfigure: [0, 1],
  domainSearch: [['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local']],
  classlessStaticRoutes: [
    [
      { destination: '10.96.0.0/12', gateway: '10.88.0.1' },
      { destination: '0.0.0.0/0', gateway: '10.88.0.1' },
    ],
  ],
  forcerenewNonceCapable: [Uint8Array.from([1])],
};

test('every option in the table round-trips through its codec', () => {
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const values = samples[name] as unknown[];
    assert.ok(values.length > 0, `no sample for ${name}`);
    for (const value of values) {
      const enc = encodeOptionValue(name, value as never);
      assert.ok(enc.ok, `${name} encodes`);
      const dec = decodeOptionValue(name, enc.value);
      assert.ok(dec.ok, `${name} decodes`);
      assert.deepEqual(dec.value, value, name);
    }
  }
});

test('every option round-trips inside an encoded message', () => {
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    if (name === 'optionOverload') continue; // structural: written by the encoder itself
    for (const value of samples[name] as unknown[]) {
      const msg = emptyMessage(BOOTREQUEST);
      msg.xid = 0x12345678;
      assert.ok(setOption(msg, name, value as never).ok);
      const enc = encodeMessage(msg);
      assert.ok(enc.ok);
      const dec = decodeMessage(enc.value.bytes);
      assert.ok(dec.ok);
      assert.equal(dec.value.xid, 0x12345678);
      const back: { ok: boolean; value?: unknown } | undefined = getOption(dec.value, name);
      assert.ok(back?.ok, name);
      assert.deepEqual(back?.value, value, name);
    }
  }
});

test('options beyond the byte budget overflow into file and sname (option 52) and decode back', () => {
  const msg = emptyMessage(BOOTREQUEST);
  for (let code = 224; code < 236; code++) msg.options.set(code, new Uint8Array(40).fill(code));
  const enc = encodeMessage(msg, { maxPayloadBytes: 548 });
  assert.ok(enc.ok);
  assert.ok(enc.value.bytes.length <= 548);
  const dec = decodeMessage(enc.value.bytes);
  assert.ok(dec.ok);
  assert.deepEqual(dec.value.options.get(52), Uint8Array.from([3]));
  for (let code = 224; code < 236; code++) {
    if (enc.value.droppedOptions.includes(code)) continue;
    assert.deepEqual(dec.value.options.get(code), new Uint8Array(40).fill(code), `option ${code}`);
  }
  // 12 × 42 bytes: 7 fit the options area (after option 52), 3 the file field, 1 sname; 1 is left out.
  assert.deepEqual(enc.value.droppedOptions, [235]);
});

test('without overload the encoder drops the lowest-priority options and reports them', () => {
  const msg = emptyMessage(BOOTREQUEST);
  msg.file = 'pxelinux.0';
  for (let code = 224; code < 234; code++) msg.options.set(code, new Uint8Array(40).fill(code));
  const enc = encodeMessage(msg);
  assert.ok(enc.ok);
  assert.ok(enc.value.bytes.length <= 548);
  assert.deepEqual(enc.value.droppedOptions, [231, 232, 233]);
  const dec = decodeMessage(enc.value.bytes);
  assert.ok(dec.ok);
  assert.equal(dec.value.file, 'pxelinux.0');
});
