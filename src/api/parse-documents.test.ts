import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpecDocuments } from './parse-documents.js';

test('positions of nested nodes, list items and missing fields (nearest ancestor)', () => {
  const f = parseSpecDocuments(
    'kind: VM\nspec:\n  networks:\n    - name: a\n      pod: {}\n    - name: b\n',
    'f.yaml',
  );
  const d = f.documents[0]!;
  assert.deepEqual(d.locate(['spec', 'networks', 1, 'name']), { line: 6, column: 13 });
  assert.deepEqual(d.locate(['spec', 'networks', 0]), { line: 4, column: 7 });
  assert.deepEqual(d.locate(['spec', 'networks', 1, 'multus', 'networkName']), { line: 6, column: 7 });
  assert.deepEqual(d.locate([]), { line: 1, column: 1 });
});

test('an empty value points at its key', () => {
  const d = parseSpecDocuments('kind: VM\nspec:\n  hostname:\n', 'f.yaml').documents[0]!;
  assert.deepEqual(d.locate(['spec', 'hostname']), { line: 3, column: 3 });
});

test('several documents; empty ones are dropped; syntax errors stay per document', () => {
  const f = parseSpecDocuments('---\nkind: VM\n---\n# only a comment\n---\nkind: [\n', 'f.yaml');
  assert.equal(f.documents.length, 2);
  assert.equal(f.documents[0]!.errors.length, 0);
  assert.equal(f.documents[1]!.errors[0]!.code, 'YAML_SYNTAX');
  assert.equal(f.documents[1]!.value, undefined);
  assert.equal(f.documents[1]!.count, 2);
});

test('duplicate keys are errors with line:column', () => {
  const d = parseSpecDocuments('kind: VM\nspec: {}\nkind: VM\n', 'f.yaml').documents[0]!;
  assert.equal(d.errors[0]!.code, 'YAML_DUPLICATE_KEY');
  assert.equal(d.errors[0]!.line, 3);
  assert.equal(d.errors[0]!.message, 'duplicate key "kind": a map may hold each key once');
});

test('JSON input keeps positions', () => {
  const d = parseSpecDocuments('{\n  "kind": "VM",\n  "spec": {\n    "hostname": "x"\n  }\n}\n', 'f.json')
    .documents[0]!;
  assert.deepEqual(d.locate(['spec', 'hostname']), { line: 4, column: 17 });
});

test('an empty file is an issue of the file', () => {
  assert.equal(parseSpecDocuments('', 'f.yaml').errors[0]!.code, 'EMPTY_FILE');
  assert.equal(parseSpecDocuments('\n# c\n', 'f.yaml').errors[0]!.code, 'EMPTY_FILE');
});

test('a quoted string over several lines with unindented continuations reads as go-yaml and libyaml read it', () => {
  const text =
    'apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: q\n  annotations:\n    note: "a long\ntext that \\"continues\\"\n  here"\n    other: \'it\'\'s\nfine\'\nspec: {}\n';
  const parsed = parseSpecDocuments(text, 'q.yaml');
  assert.deepEqual(parsed.documents[0]!.errors, []);
  const value = parsed.documents[0]!.value as { metadata: { annotations: Record<string, string> } };
  assert.deepEqual(value.metadata.annotations, {
    note: 'a long text that "continues" here',
    other: "it's fine",
  });
  assert.deepEqual(
    parsed.documents[0]!.locate(['spec']),
    { line: 11, column: 7 },
    'line numbers are those of the file',
  );
  const unclosed = parseSpecDocuments('metadata:\n  name: "q\nspec: {}\n', 'u.yaml');
  assert.equal(
    unclosed.documents[0]!.errors[0]?.code,
    'YAML_SYNTAX',
    'a quote that never closes is still an error',
  );
  assert.equal(unclosed.documents[0]!.errors[0]?.line, 2, 'reported where the quote opens');
});
