// The V8 settings of virtnet's long-running per-VM processes (`run`, `up`). A node runs tens to
// hundreds of VMs, each with one such process that sets up, then idles while its guest runs:
// interpreted code and a 1 MiB young generation keep it small, and nothing it does after setup is
// hot enough to want the optimising compilers (bench/density.ts: ~68 → ~57 MiB resident per `up`).
// Flags V8 reads only at start-up cannot be set from inside, so the process re-executes itself once
// with them (execve: same pid, stdio and parent; no second process).
import { loadNativeAddon } from './native-addon.js';

// --no-expose-wasm: lite mode turns WebAssembly off anyway; saying so keeps V8 from warning about it.
export const LEAN_NODE_FLAGS = ['--lite-mode', '--no-expose-wasm', '--max-semi-space-size=1'];

interface Addon {
  execve(argv: string[], env: string[]): number;
}

/**
 * Restarts this process with LEAN_NODE_FLAGS unless it runs with them already. Returns only when
 * execve failed: the command then runs as it is, just larger.
 */
export function becomeLeanNode(): void {
  if (LEAN_NODE_FLAGS.every((f) => process.execArgv.includes(f))) return;
  const addon = loadNativeAddon<Addon>('fast-spawn');
  const argv = [process.execPath, ...LEAN_NODE_FLAGS, ...process.execArgv, ...process.argv.slice(1)];
  const env = Object.entries(process.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  addon.execve(argv, env);
}
