// Runs one CNI plugin binary exactly as the CNI spec says: CNI_* environment, the configuration on
// stdin, a result (or error object) on stdout. Turns every way a plugin can fail into its own typed
// error: CNI_PLUGIN_NOT_FOUND, CNI_PLUGIN_TIMEOUT, CNI_PLUGIN_CRASHED, CNI_PLUGIN_ERROR, CNI_BAD_OUTPUT,
// CNI_PLUGIN_ABORTED (cancelled by the caller). A plugin is killed together with the processes it
// started (its process group) when it times out or is cancelled.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { isVirtnetError, VirtnetError } from '../errors/virtnet-error.js';
import { minimalEnv, runProgram } from '../exec/run-program.js';
import { parseErrorObject, parseResult, type CniResult } from './result.js';

export type CniCommand = 'ADD' | 'CHECK' | 'DEL' | 'VERSION' | 'STATUS' | 'GC';

/** Where plugins are looked for when nothing else is configured (libcni's default plus Debian's). */
export const DEFAULT_CNI_PATH = ['/opt/cni/bin', '/usr/lib/cni'];
export const DEFAULT_PLUGIN_TIMEOUT_MS = 60_000;

/** One plugin execution, as observed (for benchmarks and logs). */
export interface PluginExecRecord {
  type: string;
  command: CniCommand;
  durationMs: number;
}

/** Everything a plugin execution needs besides its stdin configuration. */
export interface PluginExecContext {
  command: CniCommand;
  containerId?: string;
  /** Path of the network namespace (CNI_NETNS). */
  netns?: string;
  ifname?: string;
  /** CNI_ARGS pairs, joined as `K=V;K=V`. */
  args?: [string, string][];
  cniPath: string[];
  timeoutMs: number;
  /** Cancels the execution: the plugin and its children are killed. */
  signal?: AbortSignal;
  observer?: (record: PluginExecRecord) => void;
}

/** The CNI path from an option, else $CNI_PATH, else the default. */
export function resolveCniPath(option?: readonly string[]): string[] {
  if (option && option.length > 0) return [...option];
  const env = process.env.CNI_PATH;
  if (env) return env.split(':').filter((p) => p !== '');
  return [...DEFAULT_CNI_PATH];
}

/** The executable of plugin `type` on `cniPath`. Throws CNI_PLUGIN_NOT_FOUND. */
export function findPlugin(type: string, cniPath: readonly string[]): string {
  for (const dir of cniPath) {
    const candidate = join(dir, type);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* try the next directory */
    }
  }
  throw new VirtnetError('CNI_PLUGIN_NOT_FOUND', `CNI plugin ${type} not found in ${cniPath.join(':')}`, {
    program: type,
    cniPath: [...cniPath],
  });
}

/** The environment of a plugin execution. */
export function pluginEnv(ctx: PluginExecContext): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = minimalEnv({ CNI_COMMAND: ctx.command, CNI_PATH: ctx.cniPath.join(':') });
  if (ctx.containerId !== undefined) env.CNI_CONTAINERID = ctx.containerId;
  if (ctx.netns !== undefined) env.CNI_NETNS = ctx.netns;
  if (ctx.ifname !== undefined) env.CNI_IFNAME = ctx.ifname;
  if (ctx.args && ctx.args.length > 0) env.CNI_ARGS = ctx.args.map(([k, v]) => `${k}=${v}`).join(';');
  return env;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Executes plugin `type` with `config` on stdin and returns its parsed stdout (undefined when it
 * printed nothing, as DEL/CHECK/STATUS/GC may).
 */
export async function execPluginRaw(
  type: string,
  config: Record<string, unknown>,
  ctx: PluginExecContext,
): Promise<unknown> {
  const program = findPlugin(type, ctx.cniPath);
  const started = performance.now();
  let stdout: string;
  try {
    const res = await runProgram([program], {
      timeoutMs: ctx.timeoutMs,
      env: pluginEnv(ctx),
      input: JSON.stringify(config),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    stdout = res.stdout;
  } catch (err) {
    if (!isVirtnetError(err)) throw err;
    const d = err.detail as {
      exitCode?: number | null;
      signal?: string | null;
      stdout?: string;
      stderr?: string;
    };
    const base = {
      program: type,
      command: ctx.command,
      ifname: ctx.ifname,
      exitCode: d.exitCode ?? null,
      stderr: (d.stderr ?? '').trim(),
    };
    switch (err.code) {
      case 'EXEC_NOT_FOUND':
        throw new VirtnetError(
          'CNI_PLUGIN_NOT_FOUND',
          `CNI plugin ${type} cannot be executed: ${err.message}`,
          { program: type, cniPath: ctx.cniPath },
          { cause: err },
        );
      case 'EXEC_ABORTED':
        throw new VirtnetError(
          'CNI_PLUGIN_ABORTED',
          `CNI plugin ${type} (${ctx.command}) was cancelled and killed`,
          base,
          { cause: err },
        );
      case 'EXEC_TIMEOUT':
        throw new VirtnetError(
          'CNI_PLUGIN_TIMEOUT',
          `CNI plugin ${type} (${ctx.command}) did not finish within ${ctx.timeoutMs} ms and was killed`,
          { ...base, timeoutMs: ctx.timeoutMs },
          { cause: err },
        );
      case 'EXEC_SIGNALED':
        throw new VirtnetError(
          'CNI_PLUGIN_CRASHED',
          `CNI plugin ${type} (${ctx.command}) was killed by ${d.signal ?? 'a signal'}`,
          { ...base, signal: d.signal ?? null },
          { cause: err },
        );
      case 'EXEC_FAILED': {
        const cniError = parseErrorObject(parseJson((d.stdout ?? '').trim()));
        if (cniError) {
          const details = cniError.details ? ` (${cniError.details})` : '';
          throw new VirtnetError(
            'CNI_PLUGIN_ERROR',
            `CNI plugin ${type} (${ctx.command}) failed: ${cniError.msg}${details} [CNI error ${cniError.code}]`,
            { ...base, cniError },
            { cause: err },
          );
        }
        const why = base.stderr.split('\n').slice(-2).join(' ') || `exit status ${String(d.exitCode)}`;
        throw new VirtnetError(
          'CNI_PLUGIN_CRASHED',
          `CNI plugin ${type} (${ctx.command}) exited with status ${String(d.exitCode)} without a CNI error object: ${why}`,
          { ...base, stdout: (d.stdout ?? '').slice(0, 4096) },
          { cause: err },
        );
      }
      default:
        throw err;
    }
  } finally {
    ctx.observer?.({ type, command: ctx.command, durationMs: performance.now() - started });
  }
  const text = stdout.trim();
  if (text === '') return undefined;
  const parsed = parseJson(text);
  if (parsed === undefined) {
    throw new VirtnetError(
      'CNI_BAD_OUTPUT',
      `CNI plugin ${type} (${ctx.command}) printed output that is not JSON: ${JSON.stringify(text.slice(0, 200))}`,
      { program: type, command: ctx.command, stdout: text.slice(0, 4096) },
    );
  }
  return parsed;
}

/** Executes an ADD/CHECK-style call whose stdout must be a valid result (ADD) and returns it parsed. */
export async function execPluginWithResult(
  type: string,
  config: Record<string, unknown>,
  ctx: PluginExecContext,
): Promise<CniResult> {
  const out = await execPluginRaw(type, config, ctx);
  if (out === undefined) {
    throw new VirtnetError('CNI_BAD_OUTPUT', `CNI plugin ${type} (${ctx.command}) printed no result`, {
      program: type,
      command: ctx.command,
      issues: [{ path: '', code: 'missing', message: 'empty output' }],
    });
  }
  // An error object printed with exit status 0 is still a failure, not an empty result.
  const cniError = parseErrorObject(out);
  if (cniError) {
    throw new VirtnetError(
      'CNI_PLUGIN_ERROR',
      `CNI plugin ${type} (${ctx.command}) failed: ${cniError.msg} [CNI error ${cniError.code}]`,
      { program: type, command: ctx.command, ifname: ctx.ifname, exitCode: 0, stderr: '', cniError },
    );
  }
  const parsed = parseResult(out);
  if (!parsed.ok) {
    const first = parsed.issues[0]!;
    throw new VirtnetError(
      'CNI_BAD_OUTPUT',
      `CNI plugin ${type} (${ctx.command}) printed an invalid result: ${first.path ? `${first.path}: ` : ''}${first.message}`,
      { program: type, command: ctx.command, issues: parsed.issues },
    );
  }
  return parsed.result;
}
