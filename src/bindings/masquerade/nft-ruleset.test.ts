// The pure ruleset builder: names, validation and the shape of the transaction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVirtnetError } from '../../errors/virtnet-error.js';
import { buildMasqueradeRuleset, masqueradeTableName, type MasqueradeNat } from './nft-ruleset.js';

const nat: MasqueradeNat = {
  podInterface: 'eth0',
  podAddresses: ['10.1.1.2'],
  bridge: 'k6t-eth0',
  gatewayAddress: '10.0.2.1',
  vmAddress: '10.0.2.2',
  ports: [],
};

test('table names derive from the VM name and reject what nft or Kubernetes would not take', () => {
  assert.equal(masqueradeTableName('my-vm.1'), 'virtnet-my-vm.1');
  for (const bad of ['', 'UPPER', 'a b', '-x', 'x;flush ruleset', 'a'.repeat(300)]) {
    assert.throws(
      () => masqueradeTableName(bad),
      (e) => isVirtnetError(e, 'NFT_INVALID_NAME') && e.detail.field === 'metadata.name',
    );
  }
});

test('the transaction deletes then recreates the table, and has no ports rule set when none are declared', () => {
  const cmds = buildMasqueradeRuleset([{ family: 'ip', name: 'virtnet-vm', interfaces: [nat] }]);
  assert.deepEqual(cmds.slice(0, 3), [
    { add: { table: { family: 'ip', name: 'virtnet-vm' } } },
    { delete: { table: { family: 'ip', name: 'virtnet-vm' } } },
    { add: { table: { family: 'ip', name: 'virtnet-vm' } } },
  ]);
  const rules = cmds.flatMap((c) => ('add' in c && 'rule' in c.add ? [c.add.rule] : []));
  const pre = rules.filter((r) => r.chain === 'prerouting');
  assert.equal(pre.length, 1);
  assert.ok(!JSON.stringify(pre).includes('dport'));
  // No loopback forwarding without declared ports: the pod keeps its loopback.
  assert.equal(rules.filter((r) => r.chain === 'output').length, 0);
});

test('invalid input is refused before anything is built', () => {
  const cases: [Partial<MasqueradeNat>, string][] = [
    [{ vmAddress: '10.0.2.256' }, 'NFT_INVALID_INPUT'],
    [{ bridge: 'k6t-"; flush' }, 'NFT_INVALID_INPUT'],
    [{ podAddresses: [] }, 'NFT_INVALID_INPUT'],
    [{ ports: [{ protocol: 'TCP', port: 70000 }] }, 'NFT_INVALID_INPUT'],
  ];
  for (const [change, code] of cases) {
    assert.throws(
      () =>
        buildMasqueradeRuleset([{ family: 'ip', name: 'virtnet-vm', interfaces: [{ ...nat, ...change }] }]),
      (e) => isVirtnetError(e, code),
    );
  }
  assert.throws(
    () => buildMasqueradeRuleset([{ family: 'ip6', name: 'virtnet-vm', interfaces: [nat] }]),
    (e) => isVirtnetError(e, 'NFT_INVALID_INPUT'),
  );
  assert.throws(
    () => buildMasqueradeRuleset([{ family: 'ip', name: 'nat', interfaces: [nat] }]),
    (e) => isVirtnetError(e, 'NFT_INVALID_NAME'),
  );
});
