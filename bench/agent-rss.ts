// The node agent's memory before it does anything: the RSS of a fresh Node process after importing
// the modules `virtnet kube agent` loads (from dist/, as the agent's image runs them), against a bare
// process, and which of them pulled in @kubernetes/client-node. Several fresh processes; medians.
// Prints JSON. Build first (npm run build), then: node --import tsx bench/agent-rss.ts
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_MODULES } from '../src/agent/agent-modules.js';
import { median } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

/** A resolve hook noting, in the file named by $AGENT_RSS_MARK, each client-node module resolved. */
const HOOKS = `data:text/javascript,${encodeURIComponent(`
  import { appendFileSync } from 'node:fs';
  export async function resolve(specifier, context, next) {
    const r = await next(specifier, context);
    if (r.url.includes('@kubernetes/client-node')) appendFileSync(process.env.AGENT_RSS_MARK, r.url + '\\n');
    return r;
  }`)}`;

function runNode(modules: readonly string[], args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const script = `
    for (const m of ${JSON.stringify(modules.map((m) => DIST + m))}) await import(m);
    globalThis.gc();
    process.stdout.write(String(process.memoryUsage().rss));`;
  return execFileSync(process.execPath, ['--expose-gc', ...args, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env,
  });
}

/** True when importing `modules` resolves any module of client-node (a separate run: the hooks' thread has its own RSS). */
function loadsClientNode(modules: readonly string[]): boolean {
  const mark = join(mkdtempSync(join(tmpdir(), 'agent-rss-')), 'mark');
  const register = `import { register } from 'node:module'; register(${JSON.stringify(HOOKS)});`;
  try {
    runNode(modules, ['--import', `data:text/javascript,${encodeURIComponent(register)}`], {
      ...process.env,
      AGENT_RSS_MARK: mark,
    });
    return existsSync(mark);
  } finally {
    rmSync(dirname(mark), { recursive: true, force: true });
  }
}

function medianRssMiB(modules: readonly string[]): number {
  const samples = Array.from({ length: RUNS }, () => Number(runNode(modules, [])) / 2 ** 20);
  return Math.round(median(samples) * 10) / 10;
}

function importable(m: string): boolean {
  try {
    execFileSync(process.execPath, ['-e', `require.resolve(${JSON.stringify(DIST + m)})`], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

// A module this build lacks is left out (an older build, measured for comparison).
const agentModules = AGENT_MODULES.map((m) => `${m}.js`).filter(importable);
process.stdout.write(
  `${JSON.stringify(
    {
      runs: RUNS,
      agentModules,
      bareNodeRssMiB: medianRssMiB([]),
      agentModulesRssMiB: medianRssMiB(agentModules),
      agentLoadsClientNode: loadsClientNode(agentModules),
      clientNodeAloneRssMiB: medianRssMiB(['../node_modules/@kubernetes/client-node/dist/index.js']),
    },
    null,
    2,
  )}\n`,
);
