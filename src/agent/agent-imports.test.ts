// The node agent's process must never load @kubernetes/client-node (one agent runs per node; the
// library alone would nearly double its memory): its modules are imported in a child process whose
// resolve hook refuses the library, naming the module that asked for it. Type-only imports are erased
// and pass.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { AGENT_MODULES } from './agent-modules.js';

const SRC = fileURLToPath(new URL('../', import.meta.url));

const REFUSE = `
  export async function resolve(specifier, context, next) {
    if (specifier === '@kubernetes/client-node' || specifier.startsWith('@kubernetes/client-node/'))
      throw new Error('client-node imported by ' + context.parentURL);
    return next(specifier, context);
  }`;

function importAll(modules: readonly string[]): { status: number | null; stderr: string } {
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(REFUSE)}`)});`;
  const script = `for (const m of ${JSON.stringify(modules.map((m) => SRC + m))}) await import(m);`;
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      `data:text/javascript,${encodeURIComponent(register)}`,
      '--input-type=module',
      '-e',
      script,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return { status: r.status, stderr: r.stderr };
}

test("the node agent's modules load without @kubernetes/client-node", () => {
  const r = importAll(AGENT_MODULES.map((m) => `${m}.ts`));
  assert.equal(r.status, 0, r.stderr);
});

test('the guard itself: the controller, which uses client-node, is refused', () => {
  const r = importAll(['kube/controller.ts']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /client-node imported by file:.*\/src\/kube\/controller\.ts/);
});
