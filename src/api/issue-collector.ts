// Collects the errors and warnings of one document while validation walks it, attaching each issue's
// line:column from the document. Never throws: issues are data.
import { positioned, type SpecDocument } from './parse-documents.js';
import type { IssueCode } from './issue-codes.js';
import type { FieldPath, SpecIssue } from './spec-issue.js';

/** The issue sink of one document's validation. */
export class IssueCollector {
  readonly errors: SpecIssue[] = [];
  readonly warnings: SpecIssue[] = [];

  constructor(private readonly doc: SpecDocument) {}

  /** Records an error at `path`. */
  error(path: FieldPath, code: IssueCode, message: string): void {
    this.errors.push(positioned(this.doc, path, code, message));
  }

  /** Records a warning at `path`. */
  warn(path: FieldPath, code: IssueCode, message: string): void {
    this.warnings.push(positioned(this.doc, path, code, message));
  }
}
