// status.interfaces from guest.json: ACKed interfaces carry the guest's MAC and address, the others
// keep what the status had; malformed files are ignored, never half-read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GUEST_INFO_SOURCE, guestInterfaceStatuses, parseGuestFile } from './guest-status.js';

test('guestInterfaceStatuses: the ACKed guest wins, the rest is kept', () => {
  const guest = parseGuestFile(
    JSON.stringify({
      interfaces: [
        {
          name: 'default',
          mac: '02:00:00:00:00:01',
          ipAddress: '10.213.0.7',
          ipAddresses: ['10.213.0.7'],
          ackedAt: 'x',
        },
      ],
    }),
  )!;
  const previous = [
    { name: 'default', interfaceName: 'eth0', ipAddress: '10.213.0.7', infoSource: 'pod' },
    { name: 'blue', interfaceName: 'pod1234', ipAddress: '10.10.0.5', infoSource: 'multus-status' },
  ];
  const ifaces = ['default', 'blue', 'green'].map((name) => ({ name, masquerade: false }));
  assert.deepEqual(guestInterfaceStatuses(ifaces, guest, previous), [
    {
      name: 'default',
      mac: '02:00:00:00:00:01',
      ipAddress: '10.213.0.7',
      ipAddresses: ['10.213.0.7'],
      interfaceName: 'eth0',
      infoSource: GUEST_INFO_SOURCE,
    },
    previous[1],
    { name: 'green' },
  ]);
});

test('guestInterfaceStatuses: a masquerade interface keeps the pod IP, with the guest MAC', () => {
  const guest = parseGuestFile(
    JSON.stringify({
      interfaces: [
        { name: 'default', mac: '02:00:00:00:00:03', ipAddress: '10.0.2.2', ipAddresses: ['10.0.2.2'] },
      ],
    }),
  )!;
  const previous = [
    {
      name: 'default',
      interfaceName: 'eth0',
      ipAddress: '10.213.0.9',
      ipAddresses: ['10.213.0.9'],
      infoSource: 'masquerade-pod',
    },
  ];
  assert.deepEqual(guestInterfaceStatuses([{ name: 'default', masquerade: true }], guest, previous), [
    {
      name: 'default',
      mac: '02:00:00:00:00:03',
      ipAddress: '10.213.0.9',
      ipAddresses: ['10.213.0.9'],
      interfaceName: 'eth0',
      infoSource: GUEST_INFO_SOURCE,
    },
  ]);
});

test('parseGuestFile: only well-formed entries', () => {
  assert.equal(parseGuestFile('{"interf'), undefined);
  assert.equal(parseGuestFile('{}'), undefined);
  assert.deepEqual(
    parseGuestFile(
      '{"interfaces":[{"name":"a"},{"name":"b","mac":"02:00:00:00:00:02","ipAddress":"10.0.0.2"}]}',
    ),
    {
      interfaces: [
        {
          name: 'b',
          mac: '02:00:00:00:00:02',
          ipAddress: '10.0.0.2',
          ipAddresses: ['10.0.0.2'],
          ackedAt: '',
        },
      ],
    },
  );
});
