// The CNI options `pod create` and `run` share: where plugins are, and how long each may run.
import { VirtnetError } from '../errors/virtnet-error.js';

export const CNI_PATH_HELP =
  'colon-separated plugin directories (default: $CNI_PATH or /opt/cni/bin:/usr/lib/cni)';
export const PLUGIN_TIMEOUT_HELP = 'timeout of each plugin execution';

/** `--plugin-timeout-ms`: a positive integer. */
export function parsePluginTimeout(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new VirtnetError(
      'USAGE_INVALID_OPTION',
      `--plugin-timeout-ms must be a positive integer, not ${JSON.stringify(value)}`,
      { field: 'plugin-timeout-ms' },
    );
  return n;
}

/** `--cni-path a:b`: the directories, or undefined when the option is absent. */
export function cniPathOption(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(':').filter((p) => p !== '');
}
