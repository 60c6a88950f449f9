import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpecDocuments } from './parse-documents.js';
import { renderDefaultedDocument } from './render-defaults.js';
import { validateVmDocument } from './validate-vm.js';

const dirs = [
  join(import.meta.dirname, '..', '..', 'examples'),
  join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'specs', 'corpus', 'valid'),
];

test('the defaulted document validates again to the same VmSpec (a webhook is idempotent)', () => {
  let checked = 0;
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((x) => /\.(ya?ml|json)$/.test(x))) {
      for (const doc of parseSpecDocuments(readFileSync(join(dir, f), 'utf8'), f).documents) {
        const r = validateVmDocument(doc);
        // The legacy `direct` source.dev/mode have no place in today's API; those legacy specs cannot round-trip.
        if (!r.spec || r.spec.interfaces.some((i) => i.sourceDevice !== undefined)) continue;
        const again = validateVmDocument(renderDefaultedDocument(doc.value, r.spec));
        assert.deepEqual(again.errors, [], f);
        assert.deepEqual(again.spec, r.spec, f);
        assert.ok(!again.warnings.some((w) => w.code.startsWith('LEGACY')), `${f}: legacy forms rewritten`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 40, `${checked} documents`);
});
