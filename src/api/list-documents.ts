// Kubernetes List documents (`kind: List` or `kind: VirtualMachineInstanceList`, as `kubectl get -o
// yaml` prints them): each item is validated as a document of its own, its issues prefixed with
// `items[i]` and positioned in the original text. Pure.
import type { SpecDocument } from './parse-documents.js';
import { isRawMap } from './spec-entries.js';
import type { SpecIssue } from './spec-issue.js';

/** True for a `kind: ...List` document with an `items` list. */
export function isListDocument(value: unknown): value is { kind: string; items: unknown[] } {
  return (
    isRawMap(value) &&
    typeof value.kind === 'string' &&
    value.kind.endsWith('List') &&
    Array.isArray(value.items)
  );
}

/** The items of a List document as documents whose positions point into the List's text. */
export function listItemDocuments(doc: SpecDocument): SpecDocument[] {
  const items = isListDocument(doc.value) ? doc.value.items : [];
  return items.map((item, i) => ({
    file: doc.file,
    index: doc.index * 1000 + i,
    count: Math.max(doc.count, 2),
    value: item,
    errors: [],
    warnings: [],
    locate: (path) => doc.locate(['items', i, ...path]),
  }));
}

/** An item's issue as an issue of the List: its field under `items[i]`. */
export function prefixIssue(issue: SpecIssue, itemIndex: number): SpecIssue {
  return {
    ...issue,
    field: issue.field === '' ? `items[${itemIndex}]` : `items[${itemIndex}].${issue.field}`,
  };
}
