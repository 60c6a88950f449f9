// The fixture corpus: every file under test/fixtures/specs/corpus/invalid names the issues it must
// produce (`# expect: CODE field.path`, or a .expect sidecar for JSON) and every file under valid/ must
// validate (with the listed warnings). Runs through the same path as `virtnet validate`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadClusterConfig, validateSpecText } from '../../src/launcher/load-spec.js';
import { ISSUE_CODES } from '../../src/api/index.js';

const root = join(import.meta.dirname, '..', 'fixtures', 'specs');

interface Expectations {
  cluster?: string;
  errors: { code: string; field: string }[];
  warnings: { code: string; field: string }[];
}

function expectationsOf(file: string, text: string): Expectations {
  const sidecar = file.replace(/\.json$/, '.expect');
  const header = file.endsWith('.json') && existsSync(sidecar) ? readFileSync(sidecar, 'utf8') : text;
  const out: Expectations = { errors: [], warnings: [] };
  for (const line of header.split('\n')) {
    const m = /^# (expect|expect-warning|cluster): (\S+)(?: (\S*))?$/.exec(line.trimEnd());
    if (!m) continue;
    if (m[1] === 'cluster') out.cluster = m[2];
    else (m[1] === 'expect' ? out.errors : out.warnings).push({ code: m[2]!, field: m[3] ?? '' });
  }
  return out;
}

function specFiles(dir: string): string[] {
  return readdirSync(join(root, 'corpus', dir))
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.json'))
    .sort()
    .map((f) => join(root, 'corpus', dir, f));
}

const invalid = specFiles('invalid');
const valid = specFiles('valid');

test('the corpus has at least 100 specs', () => {
  assert.ok(invalid.length + valid.length >= 100, `${invalid.length + valid.length} specs`);
});

test('every invalid spec reports its code at its field, with a position', async (t) => {
  for (const file of invalid) {
    await t.test(file.split('/').pop(), async () => {
      const text = readFileSync(file, 'utf8');
      const exp = expectationsOf(file, text);
      assert.ok(exp.errors.length > 0, 'fixture declares its expected errors');
      const cluster = await loadClusterConfig(exp.cluster && join(root, 'clusters', exp.cluster));
      const outcome = validateSpecText(text, file, cluster);
      assert.equal(outcome.valid, false);
      const got = outcome.errors.map((e) => `${e.code} ${e.field}`);
      for (const e of exp.errors)
        assert.ok(
          got.includes(`${e.code} ${e.field}`),
          `expected ${e.code} at "${e.field}", got:\n  ${got.join('\n  ')}`,
        );
      for (const e of outcome.errors) {
        assert.ok(e.code in ISSUE_CODES, `${e.code} is a documented code`);
        assert.ok(
          Number.isInteger(e.line) && e.line! >= 1 && Number.isInteger(e.column) && e.column! >= 1,
          `${e.code} at ${e.field} has line:column`,
        );
        assert.ok(
          e.message.length > 0 && !e.message.includes('Invalid input'),
          `message for people: ${e.message}`,
        );
      }
      assert.equal(
        outcome.specs.length,
        outcome.documents.filter((d) => d.errors.length === 0 && !d.ignored).length,
      );
    });
  }
});

test('every valid spec validates, with the declared warnings', async (t) => {
  for (const file of valid) {
    await t.test(file.split('/').pop(), async () => {
      const text = readFileSync(file, 'utf8');
      const exp = expectationsOf(file, text);
      const cluster = await loadClusterConfig(exp.cluster && join(root, 'clusters', exp.cluster));
      const outcome = validateSpecText(text, file, cluster);
      assert.deepEqual(outcome.errors, [], 'no errors');
      assert.ok(outcome.specs.length >= 1);
      const got = outcome.warnings.map((w) => `${w.code} ${w.field}`);
      for (const w of exp.warnings)
        assert.ok(
          got.includes(`${w.code} ${w.field}`),
          `expected warning ${w.code} at ${w.field}, got ${got.join(', ')}`,
        );
    });
  }
});
