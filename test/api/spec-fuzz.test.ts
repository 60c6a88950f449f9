// Fuzz: thousands of random mutations of valid specs — of the parsed values and of the raw YAML text —
// must never make validation throw, and every result must be well-formed (coded issues with field
// paths; a spec exactly when there is no error; positions whenever the input was text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  documentFromValue,
  ISSUE_CODES,
  parseSpecDocuments,
  validateVmDocument,
  DEFAULT_CLUSTER_CONFIG,
  type ClusterConfig,
} from '../../src/api/index.js';
import { validateSpecText } from '../../src/launcher/load-spec.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'specs');
const texts = [
  ...readdirSync(join(fixtures, 'corpus', 'valid'))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => readFileSync(join(fixtures, 'corpus', 'valid', f), 'utf8')),
  ...readdirSync(join(import.meta.dirname, '..', '..', 'examples'))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => readFileSync(join(import.meta.dirname, '..', '..', 'examples', f), 'utf8')),
].filter((t) => !t.startsWith('# ') || t.includes('kind:'));
const values = texts
  .flatMap((t) => parseSpecDocuments(t, 'f.yaml').documents.map((d) => d.value))
  .filter((v) => v !== undefined);

const clusters: ClusterConfig[] = [
  DEFAULT_CLUSTER_CONFIG,
  {
    ...DEFAULT_CLUSTER_CONFIG,
    permitBridgeInterfaceOnPodNetwork: false,
    defaultNetworkInterface: 'masquerade',
  },
  { ...DEFAULT_CLUSTER_CONFIG, permitBridgeInterfaceOnPodNetwork: false, defaultNetworkInterface: 'bridge' },
];

type Json = unknown;
/** Every path of a value (maps and lists), so a mutation can aim anywhere. */
function paths(
  v: Json,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

/** Values a spec field might plausibly (or implausibly) hold. */
const fieldValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    65536,
    16384,
    224,
    '',
    'default',
    'TCP',
    'udp',
    'absent',
    'down',
    'up',
    'virtio',
    '02:00:00:00:00:00',
    'aa:bb:cc:dd:ee:ff:00',
    '0000:81:00.1',
    '10.0.2.0/31',
    'fd10::/120',
    'ns/name',
    {},
    [],
    [{}],
    { pod: {} },
    { multus: { default: true } },
    { masquerade: {} },
    { name: 'default' },
    Number.NaN,
    Infinity,
  ),
  fc.string(),
  fc.integer(),
  fc.anything({ maxDepth: 2 }),
);

/** Applies one mutation at `path`: replace, delete, wrap in a list, or add a key. */
function mutate(root: Json, path: (string | number)[], kind: number, value: Json, key: string): Json {
  const copy = structuredClone(root);
  if (path.length === 0) return kind === 1 ? [copy] : value;
  const parent = path
    .slice(0, -1)
    .reduce<Json>((v, seg) => (v as Record<string | number, Json>)[seg], copy) as Record<
    string | number,
    Json
  >;
  const last = path[path.length - 1]!;
  switch (kind) {
    case 0:
      parent[last] = value;
      break;
    case 1:
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
      break;
    case 2:
      parent[last] = [parent[last]];
      break;
    default: {
      const target = parent[last];
      if (typeof target === 'object' && target !== null && !Array.isArray(target))
        (target as Record<string, Json>)[key] = value;
      else if (Array.isArray(target)) target.push(value);
      else parent[last] = value;
    }
  }
  return copy;
}

function checkResult(r: ReturnType<typeof validateVmDocument>, positioned: boolean): void {
  assert.ok(Array.isArray(r.errors) && Array.isArray(r.warnings));
  assert.equal(r.spec !== undefined, r.errors.length === 0 && r.ignored !== true);
  for (const i of [...r.errors, ...r.warnings]) {
    assert.ok(i.code in ISSUE_CODES, `documented code ${i.code}`);
    assert.equal(typeof i.field, 'string');
    assert.ok(typeof i.message === 'string' && i.message.length > 0);
    if (positioned)
      assert.ok(
        Number.isInteger(i.line) && Number.isInteger(i.column),
        `${i.code} ${i.field} has a position`,
      );
  }
}

test('7,000 mutations of valid spec values never throw', () => {
  assert.ok(values.length >= 30);
  fc.assert(
    fc.property(
      fc.nat(),
      fc.array(
        fc.tuple(
          fc.nat(),
          fc.nat({ max: 3 }),
          fieldValue,
          fc.constantFrom('name', 'pod', 'bridge', 'ports', 'x', 'multus', 'macAddress'),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      fc.nat({ max: 2 }),
      (pick, mutations, c) => {
        let v = values[pick % values.length];
        for (const [at, kind, value, key] of mutations) {
          const all = paths(v);
          v = mutate(v, all[at % all.length]!, kind, value, key);
        }
        checkResult(validateVmDocument(documentFromValue(v, 'fuzz.yaml'), clusters[c]), false);
      },
    ),
    { numRuns: 7000, seed: 42 },
  );
});

/** Text-level edits: insert, delete, duplicate or swap lines, change indentation. */
const textEdit = fc.tuple(fc.nat({ max: 5 }), fc.nat(), fc.nat(), fc.string({ maxLength: 8 }));
function editText(text: string, [kind, a, b, s]: [number, number, number, string]): string {
  const lines = text.split('\n');
  const i = a % lines.length;
  const j = b % lines.length;
  switch (kind) {
    case 0:
      return text.slice(0, a % (text.length + 1)) + s + text.slice(a % (text.length + 1));
    case 1:
      return text.slice(0, a % (text.length + 1)) + text.slice((a % (text.length + 1)) + (b % 20));
    case 2:
      lines.splice(i, 0, lines[j]!);
      return lines.join('\n');
    case 3:
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    case 4:
      lines[i] = (b % 2 === 0 ? ' ' : '\t') + lines[i]!;
      return lines.join('\n');
    default:
      lines[i] = lines[i]!.replace(/:\s.*/, `: ${s}`);
      return lines.join('\n');
  }
}

test('3,000 mutations of raw YAML text never throw; every issue has a position', () => {
  fc.assert(
    fc.property(fc.nat(), fc.array(textEdit, { minLength: 1, maxLength: 4 }), (pick, edits) => {
      let text = texts[pick % texts.length]!;
      for (const e of edits) text = editText(text, e);
      const outcome = validateSpecText(text, 'fuzz.yaml');
      assert.equal(outcome.valid, outcome.errors.length === 0);
      for (const d of outcome.documents)
        checkResult(
          { errors: d.errors, warnings: d.warnings, ignored: d.ignored, ...(d.spec ? { spec: d.spec } : {}) },
          true,
        );
      for (const e of outcome.errors)
        assert.ok(
          Number.isInteger(e.line) && Number.isInteger(e.column),
          `${e.code} at ${e.field} has a position`,
        );
    }),
    { numRuns: 3000, seed: 7 },
  );
});
