// The spec loading every command that takes a VM file shares: read and validate it, print warnings
// and errors like a compiler (FILE:LINE:COL: FIELD: message), and give the command the valid outcome
// or nothing (exit status 1 already set).
import type { ClusterConfig } from '../api/index.js';
import { loadClusterConfig, loadVmSpecs, type FileOutcome } from '../launcher/load-spec.js';
import { resolveStateDir } from '../state/state-dir.js';
import { formatIssueLine } from './commands/validate.js';

/** Loads `file` against the cluster config at `clusterConfigPath` (and the state dir run would use); undefined when it is invalid. */
export async function loadSpecsReporting(
  file: string,
  clusterConfigPath: string | undefined,
  stateDir?: string,
): Promise<{ cluster: ClusterConfig; outcome: FileOutcome } | undefined> {
  const cluster = await loadClusterConfig(clusterConfigPath);
  const outcome = await loadVmSpecs(file, cluster, { stateDir: resolveStateDir(stateDir) });
  for (const w of outcome.warnings) process.stderr.write(`${formatIssueLine(file, w, 'warning')}\n`);
  if (!outcome.valid) {
    for (const e of outcome.errors) process.stderr.write(`${formatIssueLine(file, e)}\n`);
    process.exitCode = 1;
    return undefined;
  }
  return { cluster, outcome };
}
