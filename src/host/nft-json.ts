// The subset of libnftables' JSON schema (nft -j, libnftables-json(5)) that virtnet writes: tables,
// base chains, rules as expression lists. Pure types and constructors; nothing here runs nft.

/** Every table virtnet creates is named with this prefix; no other table is ever deleted. */
export const NFT_TABLE_PREFIX = 'virtnet-';

/** True for tables virtnet created (and may delete). */
export function isVirtnetTable(name: string): boolean {
  return name.startsWith(NFT_TABLE_PREFIX);
}

/** Address families virtnet creates tables in (bridge: the bridge binding's RA/DHCPv6 filter). */
export type NftFamily = 'ip' | 'ip6' | 'bridge';

/** A table by family and name. */
export interface NftTableRef {
  family: NftFamily;
  name: string;
}

/** One statement or match of a rule, as libnftables-json spells it (e.g. `{ masquerade: null }`). */
export type NftExpr = Record<string, unknown>;

/** A base chain: hooked into netfilter with a type and priority. */
export interface NftChain {
  family: NftFamily;
  table: string;
  name: string;
  type: 'nat' | 'filter';
  hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
  prio: number;
  policy: 'accept' | 'drop';
}

/** A rule appended to a chain. */
export interface NftRule {
  family: NftFamily;
  table: string;
  chain: string;
  /** Written into the rule so `nft list ruleset` shows why it exists. */
  comment?: string;
  expr: NftExpr[];
}

/** One command of a transaction. */
export type NftCommand =
  | { add: { table: NftTableRef } }
  | { delete: { table: NftTableRef } }
  | { add: { chain: NftChain } }
  | { add: { rule: NftRule } };

/** A whole `nft -j -f` input: applied by the kernel as one transaction (all or nothing). */
export interface NftDocument {
  nftables: ({ metainfo: { json_schema_version: 1 } } | NftCommand)[];
}

/** Wraps commands into a document. */
export function nftDocument(commands: readonly NftCommand[]): NftDocument {
  return { nftables: [{ metainfo: { json_schema_version: 1 } }, ...commands] };
}

/** Commands that delete `tables` whether or not they exist: `add` first makes `delete` never fail. */
export function tableDeletion(tables: readonly NftTableRef[]): NftCommand[] {
  return tables.flatMap((t) => [{ add: { table: { ...t } } }, { delete: { table: { ...t } } }]);
}

// Expression helpers: the JSON shapes `nft -j list ruleset` prints for the equivalent text rules.

/** `<protocol> <field> == right` on a packet header field (ip saddr, tcp dport, ...). */
export function matchPayload(protocol: string, field: string, right: unknown, op = '=='): NftExpr {
  return { match: { op, left: { payload: { protocol, field } }, right } };
}

/** `meta <key> <op> right` (iifname, oifname, l4proto). */
export function matchMeta(key: string, right: unknown, op = '=='): NftExpr {
  return { match: { op, left: { meta: { key } }, right } };
}

/** An anonymous set literal `{ a, b }`, or the single value when there is one. */
export function setOf<T>(values: readonly T[]): T | { set: T[] } {
  return values.length === 1 ? (values[0] as T) : { set: [...values] };
}
