// The lint rules that keep src/ layered (lint/layers-plugin.js) fire on the fixtures under
// test/lint/fixtures — one tree per rule, each with a violating module and an allowed one — and the
// real tree passes them (`npm run lint` runs the same rules with the real layer order).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import layersPlugin from '../../lint/layers-plugin.js';

const fixtures = join(import.meta.dirname, 'fixtures');

/** Lints a fixture tree with `rules` applied to `files`; messages by file relative to the tree. */
async function lint(
  tree: string,
  rules: Linter.RulesRecord,
  files = ['**/*.ts'],
): Promise<Map<string, string[]>> {
  const cwd = join(fixtures, tree);
  const eslint = new ESLint({
    cwd,
    ignore: false,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { virtnet: layersPlugin },
      },
      { files, rules },
    ],
  });
  const byFile = new Map<string, string[]>();
  for (const result of await eslint.lintFiles(['src/**/*.ts'])) {
    const name = result.filePath.slice(cwd.length + 1);
    for (const message of result.messages) {
      assert.equal(message.severity, 2, `${name}: ${message.message}`);
      byFile.set(name, [...(byFile.get(name) ?? []), `${message.ruleId}: ${message.message}`]);
    }
  }
  return byFile;
}

test('layers: an upward import between folders is an error, a downward one is not', async () => {
  const found = await lint('layers', {
    'virtnet/layers': ['error', { srcDir: 'src', order: [['low'], ['high']] }],
  });
  assert.deepEqual([...found.keys()], ['src/low/upward.ts']);
  assert.match(found.get('src/low/upward.ts')![0]!, /virtnet\/layers: src\/low may not import src\/high/);
});

test('layers: a folder missing from the layer order is an error', async () => {
  const found = await lint('layers', { 'virtnet/layers': ['error', { srcDir: 'src', order: [['low']] }] });
  assert.match(found.get('src/high/downward.ts')![0]!, /src\/high has no place in the layer order/);
});

test('no-folder-cycle: an import that closes a cycle between folders is an error on both sides', async () => {
  const found = await lint('cycle', { 'virtnet/no-folder-cycle': ['error', { srcDir: 'src' }] });
  assert.deepEqual([...found.keys()].sort(), ['src/left/a.ts', 'src/right/b.ts']);
  assert.match(
    found.get('src/left/a.ts')![0]!,
    /import cycle between folders: src\/left → src\/right → src\/left/,
  );
});

test('pure: I/O imported directly or through another module is an error; a type import is not', async () => {
  const found = await lint('pure', { 'virtnet/pure': ['error', { ioModules: ['node:fs'] }] }, [
    'src/planners/**/*.ts',
  ]);
  assert.deepEqual([...found.keys()].sort(), ['src/planners/direct.ts', 'src/planners/indirect.ts']);
  assert.deepEqual(found.get('src/planners/direct.ts'), ['virtnet/pure: pure module: no I/O (node:fs)']);
  assert.deepEqual(found.get('src/planners/indirect.ts'), [
    'virtnet/pure: pure module: ../io/read-config.js reaches I/O (src/io/read-config.ts → node:fs)',
  ]);
});

test('the real tree passes the layer, cycle and purity rules', async () => {
  const root = join(import.meta.dirname, '..', '..');
  const eslint = new ESLint({ cwd: root, ruleFilter: ({ ruleId }) => ruleId.startsWith('virtnet/') });
  const results = await eslint.lintFiles(['src/**/*.ts']);
  const errors = results.flatMap((r) => r.messages.map((m) => `${r.filePath}: ${m.message}`));
  assert.deepEqual(errors, []);
});
