// One problem found in a spec: a stable `code` for programs, a message for people, the field path in
// the document's own shape and, when the document came from text, the line:column of the node.
// Issues are data: validation collects them and never throws mid-walk.
import type { IssueCode } from './issue-codes.js';

/** A validation error or warning. `line`/`column` are 1-based when known. */
export interface SpecIssue {
  field: string;
  code: IssueCode | (string & {});
  message: string;
  line?: number;
  column?: number;
}

/** A path into a document: map keys and list indexes, e.g. ['spec', 'networks', 0, 'name']. */
export type FieldPath = readonly (string | number)[];

/** Formats a path the Kubernetes way: `spec.domain.devices.interfaces[1].macAddress`. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}
