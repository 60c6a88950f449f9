import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ObjectCache } from './object-cache.js';

type Obj = { metadata: { uid: string; resourceVersion: string; name?: string } };
const obj = (uid: string, rv: string, name?: string): Obj => ({
  metadata: { uid, resourceVersion: rv, ...(name ? { name } : {}) },
});
const kinds = (changes: { type: string; object: Obj }[]) =>
  changes.map((c) => `${c.type} ${c.object.metadata.uid}@${c.object.metadata.resourceVersion}`);

test('ObjectCache: watch events add, update (a new version only) and delete', () => {
  const c = new ObjectCache<Obj>();
  assert.equal(c.apply({ type: 'ADDED', object: obj('a', '1') })?.type, 'add');
  assert.equal(c.apply({ type: 'MODIFIED', object: obj('a', '1') }), undefined);
  assert.equal(c.apply({ type: 'MODIFIED', object: obj('a', '2') })?.type, 'update');
  assert.equal(c.get('a')?.metadata.resourceVersion, '2');
  assert.equal(c.apply({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } }), undefined);
  const gone = c.apply({ type: 'DELETED', object: obj('a', '3') });
  assert.deepEqual(gone, { type: 'delete', object: obj('a', '2') });
  assert.deepEqual(c.list(), []);
  // A delete of an object never seen is still reported: whoever held it must let go.
  assert.deepEqual(c.apply({ type: 'DELETED', object: obj('b', '4') }), {
    type: 'delete',
    object: obj('b', '4'),
  });
});

test('ObjectCache: a relist reports what changed while no watch was open', () => {
  const c = new ObjectCache<Obj>();
  assert.deepEqual(kinds(c.replace([obj('a', '1'), obj('b', '1'), obj('c', '1')])), [
    'add a@1',
    'add b@1',
    'add c@1',
  ]);
  assert.deepEqual(kinds(c.replace([obj('a', '1'), obj('c', '5'), obj('d', '6')])), [
    'update c@5',
    'add d@6',
    'delete b@1',
  ]);
  assert.deepEqual(
    c.list().map((o) => o.metadata.uid),
    ['a', 'c', 'd'],
  );
  assert.deepEqual(kinds(c.replace([])), ['delete a@1', 'delete c@5', 'delete d@6']);
});
