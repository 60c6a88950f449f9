// The interface and network entries validation works on: each raw list element in modern form with
// the path it came from, so legacy translations and defaults still report issues at a real place.
import type { z } from 'zod';
import type { FieldPath } from './spec-issue.js';
import type { interfaceSchema, networkSchema } from './vm-schema.js';
import type { MacvtapMode } from './types.js';

/** A plain map from the document. */
export type RawMap = Record<string, unknown>;

/** True for a YAML map (not a list, not null). */
export function isRawMap(v: unknown): v is RawMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One `interfaces[i]`, translated to the modern form when it was a legacy seed form. */
export interface InterfaceEntry {
  /** Path of the element in the document (or of the field that caused it, for defaults). */
  path: FieldPath;
  raw: RawMap;
  /** Modern key → path relative to `path` where the value really is (legacy `mac.address`). */
  aliases: Record<string, FieldPath>;
  /** True when translated from a seed form (`type: pod-network | direct`). */
  legacy?: boolean;
  /** Legacy `type: direct` source. */
  sourceDevice?: string;
  macvtapMode?: MacvtapMode;
  parsed?: z.output<typeof interfaceSchema>;
}

/** One `networks[i]`, or a network synthesized for a legacy interface or by defaulting. */
export interface NetworkEntry {
  path: FieldPath;
  raw: RawMap;
  /** True when virtnet added it (legacy translation, defaulting): never "without interface". */
  synthesized: boolean;
  parsed?: z.output<typeof networkSchema>;
}

/** Path of a key of an entry, following legacy aliases. */
export function entryFieldPath(
  entry: { path: FieldPath; aliases?: Record<string, FieldPath> },
  key: string,
  ...rest: (string | number)[]
): FieldPath {
  const alias = entry.aliases?.[key];
  return alias ? [...entry.path, ...alias, ...rest] : [...entry.path, key, ...rest];
}
