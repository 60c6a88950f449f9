import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffToPatch } from './json-patch.js';
import { mergePatch } from './merge-patch.js';

/** Applies add/remove/replace ops (enough to check the diff round-trips). */
function apply(doc: unknown, ops: ReturnType<typeof diffToPatch>): unknown {
  let root = structuredClone(doc);
  for (const op of ops) {
    const tokens = op.path
      .split('/')
      .slice(1)
      .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
    if (tokens.length === 0) {
      root = op.value;
      continue;
    }
    let parent = root as Record<string, unknown>;
    for (const t of tokens.slice(0, -1)) parent = parent[t] as Record<string, unknown>;
    const last = tokens[tokens.length - 1]!;
    if (op.op === 'remove') delete parent[last];
    else parent[last] = op.value;
  }
  return root;
}

test('diffToPatch: nested keys added, replaced and removed; lists replaced whole', () => {
  const before = { a: 1, b: { c: [1, 2], d: 'x', 'e/f': 1 }, g: true };
  const after = { a: 1, b: { c: [1, 2, 3], 'e/f': 2, h: { i: null } }, j: 'new' };
  const ops = diffToPatch(before, after);
  assert.deepEqual(ops, [
    { op: 'remove', path: '/g' },
    { op: 'remove', path: '/b/d' },
    { op: 'replace', path: '/b/c', value: [1, 2, 3] },
    { op: 'replace', path: '/b/e~1f', value: 2 },
    { op: 'add', path: '/b/h', value: { i: null } },
    { op: 'add', path: '/j', value: 'new' },
  ]);
  assert.deepEqual(apply(before, ops), after);
  assert.deepEqual(diffToPatch(after, structuredClone(after)), []);
});

test('diffToPatch: an absent value at the path is added, not replaced', () => {
  assert.deepEqual(diffToPatch(undefined, { x: 1 }, '/spec'), [
    { op: 'add', path: '/spec', value: { x: 1 } },
  ]);
});

test('mergePatch: changed keys set, vanished keys null, equal objects give nothing', () => {
  assert.equal(mergePatch({ a: 1, b: [1] }, { a: 1, b: [1] }), undefined);
  assert.deepEqual(mergePatch({ a: 1, b: { c: 1, d: 2 }, e: 'x' }, { a: 2, b: { c: 1 }, f: [1] }), {
    a: 2,
    b: { d: null },
    e: null,
    f: [1],
  });
  assert.deepEqual(mergePatch({ list: [{ n: 1 }] }, { list: [{ n: 2 }] }), { list: [{ n: 2 }] });
});
