// Turns zod's issues into virtnet's coded issues: refinements carry their code in `params.code`;
// type and enum failures get a code from the field they are about, and a message written for people.
import type { z } from 'zod';
import type { IssueCode } from './issue-codes.js';
import type { FieldPath } from './spec-issue.js';

/** Enum fields and the code their bad values get. */
const ENUM_CODES: Record<string, IssueCode> = {
  model: 'MODEL_INVALID',
  protocol: 'PROTOCOL_INVALID',
  state: 'STATE_INVALID',
};
/** Required fields whose absence has its own code. */
const REQUIRED_CODES: Record<string, IssueCode> = {
  port: 'PORT_REQUIRED',
  name: 'NAME_REQUIRED',
  networkName: 'NETWORK_NAME_REQUIRED',
};

/** Describes a value's YAML type for messages: "a map", "a list", "a string"... */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'object':
      return 'a map';
    case 'string':
      return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
    case 'number':
      return `a number (${v})`;
    case 'boolean':
      return `a boolean (${v})`;
    case 'undefined':
      return 'nothing';
    default:
      return typeof v;
  }
}

const EXPECTED: Record<string, string> = {
  object: 'a map',
  array: 'a list',
  string: 'a string',
  number: 'an integer',
  boolean: 'true or false',
};

/** Reads the raw value at a relative path (tolerant of any shape). */
export function valueAt(root: unknown, path: FieldPath): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** One zod issue as code + message, given the raw input it was about (named `inputName` in messages). */
export function translateZodIssue(
  issue: z.core.$ZodIssue,
  input: unknown,
  inputName = '',
): { path: FieldPath; code: IssueCode; message: string } {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const last = path.length === 0 ? inputName : path[path.length - 1];
  const key = typeof last === 'string' ? last : '';
  const raw = valueAt(input, path);
  if (issue.code === 'custom') {
    const code = (issue.params as { code?: IssueCode } | undefined)?.code ?? 'TYPE_INVALID';
    return { path, code, message: issue.message };
  }
  if (issue.code === 'invalid_value') {
    const allowed = issue.values.map((v) => String(v)).join(', ');
    return {
      path,
      code: ENUM_CODES[key] ?? 'TYPE_INVALID',
      message: `${key || 'value'} must be one of ${allowed}, got ${describeValue(raw)}`,
    };
  }
  if (issue.code === 'invalid_type') {
    if (raw === undefined) {
      return {
        path,
        code: REQUIRED_CODES[key] ?? 'FIELD_REQUIRED',
        message: `${key || 'field'} is required`,
      };
    }
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    return {
      path,
      code: 'TYPE_INVALID',
      message: `${key || 'value'} must be ${expected}, not ${describeValue(raw)}`,
    };
  }
  return { path, code: 'TYPE_INVALID', message: issue.message };
}
