// nft against the real kernel in a throwaway namespace: one invocation per apply, atomic failure,
// idempotent re-apply and deletion of exactly virtnet's tables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { runProgram } from '../exec/run-program.js';
import { needsRoot, sandbox } from '../../test/support/sandbox.js';
import {
  applyNftCommands,
  deleteNftTables,
  deleteOrphanNftTables,
  listNftTables,
  nftInvocationCount,
} from './nft.js';
import {
  buildMasqueradeRuleset,
  masqueradeTableName,
  type MasqueradeTable,
} from '../bindings/masquerade/nft-ruleset.js';

function tables(vm: string): MasqueradeTable[] {
  const nat = {
    podInterface: 'eth0',
    bridge: 'k6t-eth0',
    ports: [
      { protocol: 'TCP' as const, port: 80 },
      { protocol: 'UDP' as const, port: 53 },
    ],
  };
  return [
    {
      family: 'ip',
      name: masqueradeTableName(vm),
      interfaces: [{ ...nat, podAddresses: ['10.1.1.2'], gatewayAddress: '10.0.2.1', vmAddress: '10.0.2.2' }],
    },
    {
      family: 'ip6',
      name: masqueradeTableName(vm),
      interfaces: [
        { ...nat, podAddresses: ['fd00::2'], gatewayAddress: 'fd10:0:2::1', vmAddress: 'fd10:0:2::2' },
      ],
    },
  ];
}

test('masquerade tables: one nft per apply, idempotent, exact deletion', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const ns = { name: await sb.netns('nft') };
  // A foreign table that must survive virtnet's teardown.
  await runProgram(['ip', 'netns', 'exec', ns.name, 'nft', 'add', 'table', 'ip', 'other'], {
    timeoutMs: 10_000,
  });

  const before = nftInvocationCount();
  await applyNftCommands(buildMasqueradeRuleset(tables('vm1')), { netns: ns });
  assert.equal(nftInvocationCount() - before, 1);
  await applyNftCommands(buildMasqueradeRuleset(tables('vm1')), { netns: ns });
  assert.equal(nftInvocationCount() - before, 2);

  const { stdout } = await runProgram(
    ['ip', 'netns', 'exec', ns.name, 'nft', 'list', 'table', 'ip', 'virtnet-vm1'],
    { timeoutMs: 10_000 },
  );
  // Re-applying replaced the table instead of appending duplicates.
  assert.equal(stdout.match(/masquerade/g)?.length, 1);
  assert.match(stdout, /iifname "eth0" ip daddr 10\.1\.1\.2 tcp dport 80 counter .*dnat to 10\.0\.2\.2/);
  assert.match(stdout, /ip daddr 127\.0\.0\.1 udp dport 53 counter .*dnat to 10\.0\.2\.2/);

  const listed = await listNftTables({ netns: ns });
  assert.deepEqual(listed.map((x) => `${x.family} ${x.name}`).sort(), [
    'ip other',
    'ip virtnet-vm1',
    'ip6 virtnet-vm1',
  ]);

  await deleteNftTables(
    [
      { family: 'ip', name: 'virtnet-vm1' },
      { family: 'ip6', name: 'virtnet-vm1' },
    ],
    { netns: ns },
  );
  await deleteNftTables(
    [
      { family: 'ip', name: 'virtnet-vm1' },
      { family: 'ip6', name: 'virtnet-vm1' },
    ],
    { netns: ns },
  );
  assert.deepEqual(await listNftTables({ netns: ns }), [{ family: 'ip', name: 'other' }]);
  await assert.rejects(deleteNftTables([{ family: 'ip', name: 'other' }], { netns: ns }), (e) =>
    isVirtnetError(e, 'NFT_NOT_OURS'),
  );

  // gc: tables of VMs that no longer exist go, a live VM's and foreign tables stay.
  await applyNftCommands(
    [...buildMasqueradeRuleset(tables('live')), ...buildMasqueradeRuleset(tables('gone'))],
    { netns: ns },
  );
  const removed = await deleteOrphanNftTables(new Set(['virtnet-live']), { netns: ns });
  assert.deepEqual(removed.map((x) => `${x.family} ${x.name}`).sort(), [
    'ip virtnet-gone',
    'ip6 virtnet-gone',
  ]);
  assert.deepEqual((await listNftTables({ netns: ns })).map((x) => `${x.family} ${x.name}`).sort(), [
    'ip other',
    'ip virtnet-live',
    'ip6 virtnet-live',
  ]);
});

test('a rejected transaction leaves nothing behind', { skip: needsRoot() }, async (t) => {
  const sb = sandbox(t);
  const ns = { name: await sb.netns('nftbad') };
  const good = buildMasqueradeRuleset(tables('vm2'));
  // A rule in a chain that does not exist makes the kernel reject the whole transaction.
  const bad = [
    ...good,
    {
      add: { rule: { family: 'ip' as const, table: 'virtnet-vm2', chain: 'nope', expr: [{ accept: null }] } },
    },
  ];
  await assert.rejects(applyNftCommands(bad, { netns: ns }), (e) => isVirtnetError(e, 'NFT_FAILED'));
  assert.deepEqual(await listNftTables({ netns: ns }), []);
  await assert.rejects(applyNftCommands(good, { netns: { name: `${sb.prefix}absent` } }), (e) =>
    isVirtnetError(e, 'NETNS_NOT_FOUND'),
  );
});
