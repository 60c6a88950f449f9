// Runs iproute2 inside a namespace. Reads are `ip -j -d` (complete state in one spawn, several
// commands through one `-batch`); writes are one `ip -n NS -batch -` per apply.
//
// Why -batch on stdin (measured on this machine, see bench/bridge-apply.ts): an `ip` spawn costs
// 4–5 ms, a batch line ~0.3 ms, so N separate spawns cost ~5N ms while one batch costs ~5 ms + 0.3N.
// Netlink from Node would need a native addon; `-batch -` needs no temporary file (unlike nft, ip
// reads stdin through the already-open descriptor). -batch is not transactional: lines before a
// failure stay applied, so callers only emit lines for steps the observed state does not satisfy
// (ensure*), and roll back from their record.
import { runProgram, type RunOptions, type RunResult } from '../exec/run-program.js';
import { toIpError } from './ip-errors.js';
import { netnsPath, parseNetnsRef } from './netns.js';
import { inNetns } from './netns-switch.js';

const IP_TIMEOUT_MS = 30_000;

/**
 * Runs `ip ARGS` for a namespace, named or by path (/proc/PID/ns/net, which `ip -n` cannot take):
 * `ip` starts with the main thread inside it (netns-switch), which also spares `ip -n` its mount
 * namespace and /sys remount that none of virtnet's commands reads.
 */
function runIpProgram(
  netns: string | undefined,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const argv = ['ip', ...args];
  if (netns === undefined) return runProgram(argv, options);
  return inNetns(netnsPath(parseNetnsRef(netns)), () => runProgram(argv, options));
}

/** Runs one `ip` command; throws typed host errors (NO_SUCH_DEVICE, LINK_EXISTS, ...). */
export async function runIp(netns: string | undefined, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await runIpProgram(netns, args, { timeoutMs: IP_TIMEOUT_MS });
    return stdout;
  } catch (err) {
    throw toIpError(err, netns, [args.join(' ')]);
  }
}

/**
 * Runs `lines` (each one `ip` command without the leading `ip`) as one batch in `netns`. With
 * `force`, failing lines do not stop the rest (used by teardown, which re-reads state afterwards).
 */
export async function runIpBatch(
  netns: string | undefined,
  lines: readonly string[],
  options: { force?: boolean } = {},
): Promise<void> {
  if (lines.length === 0) return;
  for (const line of lines) {
    if (/[\n\r]/.test(line)) throw new Error(`ip batch line contains a newline: ${JSON.stringify(line)}`);
  }
  try {
    await runIpProgram(netns, [...(options.force ? ['-force'] : []), '-batch', '-'], {
      timeoutMs: IP_TIMEOUT_MS,
      input: `${lines.join('\n')}\n`,
    });
  } catch (err) {
    throw toIpError(err, netns, lines);
  }
}

/** Runs read-only commands with `-j -d` in one spawn; returns one parsed JSON document per command. */
export async function readIpJson(netns: string | undefined, commands: readonly string[]): Promise<unknown[]> {
  let stdout: string;
  try {
    ({ stdout } = await runIpProgram(netns, ['-j', '-d', '-batch', '-'], {
      timeoutMs: IP_TIMEOUT_MS,
      input: `${commands.join('\n')}\n`,
    }));
  } catch (err) {
    throw toIpError(err, netns, commands);
  }
  // Each command prints exactly one JSON array on its own line.
  const docs = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
  if (docs.length !== commands.length) {
    throw new Error(`ip -j -batch printed ${docs.length} documents for ${commands.length} commands`);
  }
  return docs;
}
