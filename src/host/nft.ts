// Runs nft against a pod's network namespace: a whole ruleset as ONE `nft -j -f FILE` invocation
// (one atomic kernel transaction), table listing, and deletion of exactly the tables virtnet owns.
// The JSON goes through a private temp file because nft opens /dev/stdin by path, which fails when
// Node's stdin is a socket. One process per call, started inside the pod's namespace by the
// netns-switch addon (named or unnamed namespaces alike, by path).
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtnetError, isVirtnetError } from '../errors/virtnet-error.js';
import { minimalEnv, runProgram, type RunOptions, type RunResult } from '../exec/run-program.js';
import { netnsExists, netnsPath, type NetnsRef } from './netns.js';
import { inNetnsIfAny } from './netns-switch.js';
import { isVirtnetTable, nftDocument, tableDeletion, type NftCommand, type NftTableRef } from './nft-json.js';

const NFT_TIMEOUT_MS = 15_000;

/**
 * nft's parser and evaluator grow the heap in many small steps and hand large buffers back with
 * munmap; on the paravirtualised machines virtnet targets each of those costs ~0.1 ms (strace -c:
 * 12 munmap calls, 1.4 ms). A high mmap threshold and top pad keep it all in one heap: about 3 ms
 * of the ~25 ms a masquerade ruleset transaction took (bench/masquerade-apply.ts).
 */
const NFT_ENV = minimalEnv({
  GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4194304:glibc.malloc.top_pad=8388608',
});

/** How nft is run; tests and benches wrap the real runner (e.g. to count), never replace nft. */
export type ProgramRunner = (argv: readonly string[], options: RunOptions) => Promise<RunResult>;

/** Options shared by the nft calls. */
export interface NftOptions {
  /** The pod's namespace; the caller's own namespace when absent. */
  netns?: NetnsRef;
  runner?: ProgramRunner;
}

let invocations = 0;

/** How many times this process has spawned nft (for tests and benches asserting "one per apply"). */
export function nftInvocationCount(): number {
  return invocations;
}

/** The namespace nft starts in (its nsfs path), or undefined for the caller's own. */
function nftNamespace(netns: NetnsRef | undefined): string | undefined {
  if (netns === undefined) return undefined;
  if (!netnsExists(netns)) {
    throw new VirtnetError('NETNS_NOT_FOUND', `network namespace ${netnsPath(netns)} does not exist`, {
      netns: netnsPath(netns),
    });
  }
  return netnsPath(netns);
}

async function runNft(args: string[], options: NftOptions): Promise<RunResult> {
  const enter = nftNamespace(options.netns);
  const run = (): Promise<RunResult> =>
    (options.runner ?? runProgram)(['nft', ...args], { timeoutMs: NFT_TIMEOUT_MS, env: NFT_ENV });
  invocations += 1;
  try {
    // runProgram spawns before it returns its promise, so the child starts inside the namespace.
    return await inNetnsIfAny(enter, run);
  } catch (err) {
    if (isVirtnetError(err, 'EXEC_FAILED')) {
      const stderr = typeof err.detail.stderr === 'string' ? err.detail.stderr.trim() : '';
      throw new VirtnetError(
        'NFT_FAILED',
        `nft rejected the transaction: ${stderr || err.message}`,
        { program: 'nft', stderr },
        { cause: err },
      );
    }
    throw err;
  }
}

/** Applies `commands` as one transaction with one nft process; nothing of it stays if any part fails. */
export async function applyNftCommands(
  commands: readonly NftCommand[],
  options: NftOptions = {},
): Promise<void> {
  if (commands.length === 0) return;
  const file = join(tmpdir(), `virtnet-nft-${process.pid}-${randomBytes(6).toString('hex')}.json`);
  writeFileSync(file, JSON.stringify(nftDocument(commands)), { mode: 0o600, flag: 'wx' });
  try {
    await runNft(['-j', '-f', file], options);
  } finally {
    rmSync(file, { force: true });
  }
}

/** Tables present in the namespace (every owner's, in the families virtnet uses). */
export async function listNftTables(options: NftOptions = {}): Promise<NftTableRef[]> {
  const { stdout } = await runNft(['-j', 'list', 'tables'], options);
  const parsed = JSON.parse(stdout) as { nftables?: { table?: { family: string; name: string } }[] };
  const out: NftTableRef[] = [];
  for (const item of parsed.nftables ?? []) {
    const t = item.table;
    if (t && (t.family === 'ip' || t.family === 'ip6')) out.push({ family: t.family, name: t.name });
  }
  return out;
}

/** Deletes `tables` in one transaction; absent ones are fine (idempotent). Refuses tables virtnet does not own. */
export async function deleteNftTables(
  tables: readonly NftTableRef[],
  options: NftOptions = {},
): Promise<void> {
  for (const t of tables) {
    if (!isVirtnetTable(t.name)) {
      throw new VirtnetError(
        'NFT_NOT_OURS',
        `refusing to delete nft table ${t.family} ${t.name}: not created by virtnet`,
        { table: t.name },
      );
    }
  }
  await applyNftCommands(tableDeletion(tables), options);
}

/**
 * Garbage collection: deletes virtnet's tables in the namespace whose VM is not in `liveVmTableNames`
 * (table names as masqueradeTableName gives them), in one transaction. Returns what it deleted.
 */
export async function deleteOrphanNftTables(
  liveVmTableNames: ReadonlySet<string>,
  options: NftOptions = {},
): Promise<NftTableRef[]> {
  const orphans = (await listNftTables(options)).filter(
    (t) => isVirtnetTable(t.name) && !liveVmTableNames.has(t.name),
  );
  await deleteNftTables(orphans, options);
  return orphans;
}
