// Reads spec text (YAML or JSON, several documents separated by `---`) into plain values that keep
// their source positions, so every issue can name a line:column. Syntax errors and duplicate keys
// become issues, never exceptions. Pure: takes text, not paths.
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
} from 'yaml';
import { formatFieldPath, type FieldPath, type SpecIssue } from './spec-issue.js';
import { indentQuotedContinuation, neverClosedQuote } from './quoted-scalars.js';
import { jsonSpecValue } from './json-spec-value.js';
import { blockYamlValues } from './block-yaml-values.js';

/** A position in the text, 1-based. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** One document of a spec file, parsed. */
export interface SpecDocument {
  readonly file: string;
  /** 0-based index of the document in the file. */
  readonly index: number;
  /** Number of non-empty documents in the file (names are derived differently when > 1). */
  readonly count: number;
  /** The plain value (maps become objects); undefined when the document had syntax errors. */
  readonly value: unknown;
  /** Syntax errors (non-empty means `value` is not trustworthy). */
  readonly errors: SpecIssue[];
  readonly warnings: SpecIssue[];
  /** Position of the node at `path`, or of its nearest existing ancestor. */
  locate(path: FieldPath): SourcePosition | undefined;
}

/** The documents of one file, plus issues about the file as a whole (e.g. it is empty). */
export interface ParsedSpecFile {
  file: string;
  documents: SpecDocument[];
  errors: SpecIssue[];
}

/** Where the node at `path` starts: the value node, or the key when the value is empty. */
function locateNode(doc: Document, lines: LineCounter, path: FieldPath): SourcePosition | undefined {
  let node: unknown = doc.contents;
  let best: number | undefined = doc.contents?.range?.[0];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
      const key = pair.key as Node;
      const value = pair.value as Node | null;
      const valueStart = value?.range?.[0];
      const emptyValue =
        !value || (isScalar(value) && value.value === null && valueStart === value.range?.[1]);
      best = emptyValue ? key.range?.[0] : (valueStart ?? key.range?.[0]);
      node = value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      best = item.range?.[0] ?? best;
      node = item;
    } else break;
  }
  if (best === undefined) return undefined;
  const pos = lines.linePos(best);
  return { line: pos.line, column: pos.col };
}

/** Repairs of under-indented quoted scalars tried per file (each fixes one scalar). */
const MAX_QUOTE_REPAIRS = 100;

function parseAll(text: string, lines: LineCounter): Document.Parsed[] {
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: true,
    merge: true,
  }) as Document.Parsed[] | Document.Parsed;
  return Array.isArray(docs) ? docs : [docs];
}

/**
 * The documents of `text`, after indenting the continuation lines of quoted scalars the `yaml`
 * package found unclosed but go-yaml and libyaml read (see quoted-scalars.ts). Line numbers stay.
 */
function parseWithQuoteRepairs(text: string): { docs: Document.Parsed[]; lines: LineCounter } {
  let lines = new LineCounter();
  let docs = parseAll(text, lines);
  for (let repairs = 0; repairs < MAX_QUOTE_REPAIRS; repairs++) {
    const unclosed = docs
      .flatMap((d) => d.errors)
      .find((e) => e.code === 'MISSING_CHAR' && /quote/.test(e.message) && e.linePos);
    const fixed = unclosed?.linePos ? indentQuotedContinuation(text, unclosed.linePos[0].line) : undefined;
    if (fixed === undefined) break;
    text = fixed;
    lines = new LineCounter();
    docs = parseAll(text, lines);
  }
  return { docs, lines };
}

/**
 * The values of `text` read without building `yaml` documents, when a fast reader is sure to give
 * what the `yaml` package would, with no issue; undefined otherwise.
 */
function fastValues(text: string): unknown[] | undefined {
  const json = jsonSpecValue(text);
  return json ? [json.value] : blockYamlValues(text);
}

/**
 * Parses every document of `text`; `file` is only used to label the result. Large generated specs
 * are read by a fast reader when it can be trusted; the `yaml` documents that hold source positions
 * are then built on the first call of `locate`, i.e. only when an issue needs a line:column.
 */
export function parseSpecDocuments(text: string, file: string): ParsedSpecFile {
  const values = fastValues(text);
  if (values === undefined || values.length === 0) return parseWithPositions(text, file);
  let positioned: ParsedSpecFile | undefined;
  const documents = values.map((value, index): SpecDocument => ({
    file,
    index,
    count: values.length,
    value,
    errors: [],
    warnings: [],
    locate: (path) => (positioned ??= parseWithPositions(text, file)).documents[index]?.locate(path),
  }));
  return { file, documents, errors: [] };
}

/** Parses every document of `text` with the `yaml` package, keeping every node's position. */
export function parseWithPositions(text: string, file: string): ParsedSpecFile {
  let lines: LineCounter;
  let docs: Document.Parsed[];
  try {
    ({ docs, lines } = parseWithQuoteRepairs(text));
  } catch (err) {
    // parseAllDocuments reports problems as data; this guards against an unexpected throw on odd input.
    return {
      file,
      documents: [],
      errors: [{ field: '', code: 'YAML_SYNTAX', message: describeParseFailure(err), line: 1, column: 1 }],
    };
  }
  // Empty documents (a trailing `---`, comments only, a bare `null`) are not VMs; drop them.
  const nonEmpty = docs.filter(
    (d) =>
      d.errors.length > 0 || !(d.contents === null || (isScalar(d.contents) && d.contents.value === null)),
  );
  const sourceLines = text.split('\n');
  const documents = nonEmpty.map((doc, index): SpecDocument => {
    const toIssue = (
      e: {
        code: string;
        message: string;
        linePos?:
          [{ line: number; col: number }] | [{ line: number; col: number }, { line: number; col: number }];
      },
      kind: 'error' | 'warning',
    ): SpecIssue => {
      const code =
        kind === 'warning'
          ? 'YAML_WARNING'
          : e.code === 'DUPLICATE_KEY'
            ? 'YAML_DUPLICATE_KEY'
            : 'YAML_SYNTAX';
      const first = /Maximum call stack/.test(e.message)
        ? 'the document nests too deeply to read'
        : (e.message.split('\n')[0] ?? e.message);
      const issue: SpecIssue = {
        field: '',
        code,
        message: first.replace(/ at line \d+, column \d+:?\s*$/, ''),
      };
      if (e.linePos) {
        issue.line = e.linePos[0].line;
        issue.column = e.linePos[0].col;
        // The parser reports a quote that never closes where the text ends; the author wants where it opens.
        const open =
          e.code === 'MISSING_CHAR' && /quote/.test(e.message) ? neverClosedQuote(text) : undefined;
        if (open) Object.assign(issue, open);
        if (code === 'YAML_DUPLICATE_KEY') {
          // The parser's message does not say which key; the text at the position does.
          const key = /^\s*(?:"([^"]*)"|'([^']*)'|([^:#{}[\],]+?))\s*:/.exec(
            sourceLines[issue.line - 1]?.slice(issue.column - 1) ?? '',
          );
          const name = key?.[1] ?? key?.[2] ?? key?.[3];
          if (name !== undefined) issue.message = `duplicate key "${name}": a map may hold each key once`;
        }
      }
      return issue;
    };
    const errors = doc.errors.map((e) => toIssue(e, 'error'));
    const warnings = doc.warnings.map((e) => toIssue(e, 'warning'));
    let value: unknown;
    if (errors.length === 0) {
      try {
        value = doc.toJS({ maxAliasCount: 100 });
      } catch (err) {
        // Alias bombs and broken anchors surface here.
        errors.push({
          field: '',
          code: 'YAML_SYNTAX',
          message: describeParseFailure(err),
          ...locateOrStart(doc, lines),
        });
      }
    }
    return {
      file,
      index,
      count: nonEmpty.length,
      value,
      errors,
      warnings,
      locate: (path) => locateNode(doc, lines, path),
    };
  });
  const errors: SpecIssue[] = [];
  if (documents.length === 0)
    errors.push({ field: '', code: 'EMPTY_FILE', message: 'the file holds no document', line: 1, column: 1 });
  return { file, documents, errors };
}

/** A person's description of a parser exception (stack overflow on absurd nesting, alias bombs). */
function describeParseFailure(err: unknown): string {
  if (err instanceof RangeError) return 'the document nests too deeply to read';
  return err instanceof Error ? err.message : String(err);
}

function locateOrStart(doc: Document, lines: LineCounter): SourcePosition {
  return locateNode(doc, lines, []) ?? { line: 1, column: 1 };
}

/** Wraps an already-parsed value (no text, so no positions) as a document. */
export function documentFromValue(value: unknown, file = '<value>'): SpecDocument {
  return { file, index: 0, count: 1, value, errors: [], warnings: [], locate: () => undefined };
}

/** Adds line:column from `doc` to an issue found at `path`. */
export function positioned(doc: SpecDocument, path: FieldPath, code: string, message: string): SpecIssue {
  const issue: SpecIssue = { field: formatFieldPath(path), code, message };
  const pos = doc.locate(path);
  if (pos) {
    issue.line = pos.line;
    issue.column = pos.column;
  }
  return issue;
}
