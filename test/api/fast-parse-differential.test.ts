// The fast readers (JSON.parse, the block-YAML subset) against the `yaml` package, which is the
// reference: for every spec fixture and example, and for generated texts, whatever the fast path
// returns must be what `yaml` gives (values, no issue), and the documents parseSpecDocuments hands
// out must yield the same issues with the same line:column as the documents of the full parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  DEFAULT_CLUSTER_CONFIG,
  parseSpecDocuments,
  validateVmDocument,
  type SpecDocument,
} from '../../src/api/index.js';
import { parseWithPositions } from '../../src/api/parse-documents.js';
import { jsonSpecValue } from '../../src/api/json-spec-value.js';
import { blockYamlValues } from '../../src/api/block-yaml-values.js';
import { isListDocument, listItemDocuments } from '../../src/api/list-documents.js';
import type { FieldPath } from '../../src/api/spec-issue.js';

const repo = join(import.meta.dirname, '..', '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : /\.(ya?ml|json)$/.test(name) ? [path] : [];
  });
}

const specFiles = [
  ...filesUnder(join(repo, 'test', 'fixtures', 'specs')),
  ...filesUnder(join(repo, 'examples')),
];

/** Every path into `value`, and one missing child under each map (located at its nearest ancestor). */
function pathsOf(value: unknown, prefix: FieldPath = []): FieldPath[] {
  const out: FieldPath[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (typeof value === 'object' && value !== null) {
    out.push([...prefix, 'absentField']);
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}

/** What `yaml` reads from `text`: the values, when there is no issue at all. */
function yamlReading(text: string): { values: unknown[]; clean: boolean } {
  const full = parseWithPositions(text, 'f');
  const clean =
    full.errors.length === 0 && full.documents.every((d) => d.errors.length === 0 && d.warnings.length === 0);
  return { values: full.documents.map((d) => d.value), clean };
}

function validated(doc: SpecDocument): unknown {
  const docs = doc.errors.length === 0 && isListDocument(doc.value) ? listItemDocuments(doc) : [doc];
  return docs.map((d) => validateVmDocument(d, DEFAULT_CLUSTER_CONFIG));
}

test('every spec fixture and example: same documents, values, issues and positions as the full parse', () => {
  let fast = 0;
  for (const file of specFiles) {
    const text = readFileSync(file, 'utf8');
    const quick = parseSpecDocuments(text, file);
    const full = parseWithPositions(text, file);
    if (jsonSpecValue(text) ?? blockYamlValues(text)) fast++;
    assert.deepEqual(quick.errors, full.errors, file);
    assert.equal(quick.documents.length, full.documents.length, file);
    quick.documents.forEach((q, i) => {
      const f = full.documents[i]!;
      assert.deepStrictEqual(
        [q.index, q.count, q.value, q.errors, q.warnings],
        [f.index, f.count, f.value, f.errors, f.warnings],
        file,
      );
      for (const path of pathsOf(f.value))
        assert.deepEqual(q.locate(path), f.locate(path), `${file} ${path.join('.')}`);
      assert.deepStrictEqual(validated(q), validated(f), file);
    });
  }
  // The comparison means something only if the fast path is taken for much of the corpus.
  assert.ok(fast >= specFiles.length / 3, `fast path for ${fast} of ${specFiles.length} files`);
});

test('a JSON text with a duplicate key is left to yaml, which reports it', () => {
  const text = '{"kind": "VM", "spec": {"a": 1, "b": {}, "\\u0061": 2}}';
  assert.equal(jsonSpecValue(text), undefined);
  assert.equal(parseSpecDocuments(text, 'f.json').documents[0]!.errors[0]!.code, 'YAML_DUPLICATE_KEY');
  assert.deepEqual(jsonSpecValue('{"a": {"b": 1}, "b": [{"a": 2}], "c": "\\"a\\": 3"}'), {
    value: { a: { b: 1 }, b: [{ a: 2 }], c: '"a": 3' },
  });
});

test('a YAML text outside the block subset is left to yaml', () => {
  const outside = [
    'a: &x 1\nb: *x\n',
    'a: !!str 1\n',
    'base: {x: 1}\n<<: {y: 2}\n',
    'a: |\n  text\n',
    'a: "two\n  lines"\n',
    'a: b\n  c\n',
    'a: 1\na: 2\n',
    'a:\tb\n',
    'a: "\\n"\n',
    '%YAML 1.2\n---\na: 1\n',
    'a: 1\n...\n',
    '- - 1\n',
    'a: 1\n - b\n',
    '1: a\n',
    'a: {b: 1\n  }\n',
    'a: {b:1}\n',
    'a: {b: 02:00}\n',
    'a: [b, ]\n',
    'a: b: c\n',
    'é: 1\n',
  ];
  for (const text of outside) assert.equal(blockYamlValues(text), undefined, text);
  assert.deepEqual(blockYamlValues('- {name: n1, multus: {networkName: ns/n1}}\n- [a, 1, {b: ~}] # c\n'), [
    [{ name: 'n1', multus: { networkName: 'ns/n1' } }, ['a', 1, { b: null }]],
  ]);
  assert.deepEqual(
    blockYamlValues(
      "# c\n---\na: 1 # c\nb:\n- x\n-   y: \"q\"\n    z: 'it''s'\nc: {}\n---\n\n---\n- 0x1F\n- .5\n- ~\n",
    ),
    [{ a: 1, b: ['x', { y: 'q', z: "it's" }], c: {} }, [31, 0.5, null]],
  );
});

// Lines assembled from the pieces of the subset and of its edges, at random indentations.
const goodValue = fc.constantFrom(
  'a',
  'x y',
  '1',
  '"q"',
  "'s''t'",
  '{}',
  '[]',
  '~',
  ' # c',
  '1.50',
  '-x',
  'a:b',
  '{a: 1}',
  '{ }',
  '{name: n1, multus: {networkName: ns/n1}}',
  '[a, 1, {b: .5}]',
  "{'k': 'v', \"q\": [ ]}",
  '{a: 1} # c',
);
const edgeValue = fc.constantFrom(
  'a',
  'x y',
  'true',
  'False',
  '1',
  '-1',
  '+2',
  '0o17',
  '0x1f',
  '1e3',
  '1.50',
  '.5',
  '-.inf',
  '.NaN',
  '~',
  'null',
  'a:b',
  '02:00:00:00:00:01',
  '10.0.2.0/24',
  '-x',
  '(a)',
  'a,b',
  '"q"',
  '""',
  "'s''t'",
  "''",
  '"a: b"',
  '{}',
  '[]',
  '{a: 1}',
  '{a:1}',
  '{a: 1,}',
  '{a: b c}',
  '[a: 1]',
  '{a: 1}x',
  '{a: 02:00}',
  '{a: {a: 1}, a: 2}',
  '{1: a}',
  '{a: -}',
  '{',
  ']',
  '}',
  '&x',
  '*x',
  '!t',
  '|',
  '>',
  '<<',
  '?',
  '#',
  ' # c',
  ': ',
  ':',
  '-',
  '...',
  '%',
  '"',
  "'",
  ',',
  '@',
  '`',
  ' ',
  '\\',
);
const valuePiece = fc.oneof({ weight: 4, arbitrary: goodValue }, { weight: 1, arbitrary: edgeValue });
const keyPiece = fc.constantFrom(
  '',
  '',
  'a: ',
  'b: ',
  'a:',
  'name: ',
  'k8s.io/x: ',
  '"q": ',
  "'k': ",
  '"a b":',
  '__proto__: ',
  'true: ',
  '1: ',
  'a:b: ',
  '<<: ',
  'a :',
  '? ',
);
const seqPiece = fc.constantFrom('', '', '- ', '-   ', '- - ', '-');
const line = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.constantFrom(0, 0, 2, 2, 4, 4, 6, 1, 3),
        seqPiece,
        keyPiece,
        fc.array(valuePiece, { maxLength: 2 }),
      )
      .map(([indent, seq, key, value]) => ' '.repeat(indent) + seq + key + value.join('')),
  },
  { weight: 1, arbitrary: fc.constantFrom('---', '', '# c', '  # c', '--- a', '-- -') },
);
const yamlText = fc.array(line, { maxLength: 8 }).map((lines) => lines.join('\n'));

test('generated YAML: when the fast reader answers, yaml reads the same values with no issue', () => {
  let answered = 0;
  fc.assert(
    fc.property(yamlText, (text) => {
      const values = blockYamlValues(text);
      // No document at all is an issue of the file: parseSpecDocuments leaves that to yaml.
      if (values === undefined || values.length === 0) return;
      answered++;
      const ref = yamlReading(text);
      assert.ok(ref.clean, text);
      assert.deepStrictEqual(values, ref.values, text);
    }),
    { numRuns: Number(process.env.FAST_PARSE_RUNS ?? 10_000) },
  );
  assert.ok(answered > 100, `the fast reader answered ${answered} times`);
});

/** A generated value written as a block-style spec would be: maps and sequences by indentation. */
function blockText(value: unknown, indent = 0): string[] {
  const pad = ' '.repeat(indent);
  const inline = (v: unknown): string | undefined =>
    Array.isArray(v)
      ? v.length === 0
        ? '[]'
        : undefined
      : typeof v === 'object' && v !== null
        ? Object.keys(v).length === 0
          ? '{}'
          : undefined
        : typeof v === 'string'
          ? JSON.stringify(v)
          : String(v);
  if (Array.isArray(value))
    return value.flatMap((v) => {
      const one = inline(v);
      if (one !== undefined) return [`${pad}- ${one}`];
      const inner = blockText(v, indent + 2);
      return [`${pad}- ${inner[0]!.trimStart()}`, ...inner.slice(1)];
    });
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const one = inline(v);
    return one !== undefined
      ? [`${pad}${k}: ${one}`]
      : [`${pad}${k}:`, ...blockText(v, Array.isArray(v) ? indent : indent + 2)];
  });
}

const scalarValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, 7, -3, 1.5, ''),
  fc.stringMatching(/^[a-z0-9 .:/-]{0,8}$/),
);
const key = fc.stringMatching(/^[a-z][a-z0-9.-]{0,5}$/);
const tree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, scalarValue, tie('map'), tie('seq')),
  map: fc.dictionary(key, tie('node'), { minKeys: 1, maxKeys: 4 }),
  // `- - x` (a sequence right in a sequence) is outside the subset.
  seq: fc.array(fc.oneof(scalarValue, tie('map')), { minLength: 1, maxLength: 4 }),
}));

test('generated block-style specs: the fast reader reads them, as yaml does', () => {
  fc.assert(
    fc.property(tree.map, (value) => {
      const text = `${blockText(value).join('\n')}\n`;
      const values = blockYamlValues(text);
      assert.ok(values, text);
      const ref = yamlReading(text);
      assert.ok(ref.clean, text);
      assert.deepStrictEqual(values, ref.values, text);
    }),
    { numRuns: 500 },
  );
});

test('generated JSON: when JSON.parse is used, yaml reads the same value with no issue', () => {
  const jsonText = fc
    .tuple(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(0, 1, 2), fc.boolean())
    .map(([v, indent, dup]) => {
      let text = JSON.stringify({ kind: 'VM', spec: v }, null, indent);
      if (dup) text = text.replace(/"kind": ?"VM"/, '"kind": "VM", "spec": 1');
      return text;
    });
  fc.assert(
    fc.property(jsonText, (text) => {
      const fast = jsonSpecValue(text);
      if (!fast) return;
      const ref = yamlReading(text);
      assert.ok(ref.clean, text);
      assert.deepStrictEqual([fast.value], ref.values, text);
    }),
    { numRuns: 1000 },
  );
});

test('40,000 interfaces and networks validate through the fast path (YAML and JSON)', () => {
  const n = 40_000;
  const interfaces = Array.from({ length: n }, (_, i) =>
    i === 0 ? { name: 'n0', masquerade: {} } : { name: `n${i}`, bridge: {} },
  );
  const networks = Array.from({ length: n }, (_, i) =>
    i === 0 ? { name: 'n0', pod: {} } : { name: `n${i}`, multus: { networkName: `net${i}` } },
  );
  const vm = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'big' },
    spec: { domain: { devices: { interfaces } }, networks },
  };
  const yamlSpec = `${blockText(vm).join('\n')}\n`;
  for (const [text, file] of [
    [yamlSpec, 'big.yaml'],
    [JSON.stringify(vm), 'big.json'],
  ] as const) {
    const doc = parseSpecDocuments(text, file).documents[0]!;
    assert.deepStrictEqual(doc.value, vm, file);
    const result = validateVmDocument(doc, DEFAULT_CLUSTER_CONFIG);
    assert.deepEqual(result.errors, [], file);
    assert.equal(result.spec?.interfaces.length, n, file);
  }
  assert.ok(blockYamlValues(yamlSpec));
  assert.ok(jsonSpecValue(JSON.stringify(vm)));
});
