// The values of YAML text written in the plain block style generated specs use (maps and sequences by
// indentation, one-line scalars, `{}` and `[]`, comments, `---` between documents), read many times
// faster than the `yaml` package reads them, and one-line flow collections of plain names. Only that
// subset is read: anything else (anchors, tags, merge keys, block or multi-line scalars, multi-line
// flow collections, `:` in flow scalars, escapes, tabs, non-ASCII,
// duplicate keys, odd indentation) gives undefined and the caller reads the text with `yaml`, whose
// result is the reference: within the subset both give the same values under the YAML 1.2 core
// schema, and `yaml` would report no error or warning. Pure.

/** Thrown inside this module when the text leaves the subset; never escapes it. */
class OutsideSubset extends Error {}

const UNUSUAL_CHAR = /[^\n\x20-\x7e]/;
/** `yaml` refuses implicit keys over 1024 characters; longer lines are left to it. */
const MAX_LINE = 1000;
const KEY = /^([A-Za-z0-9_][A-Za-z0-9_./-]*|"[^"\\]*"|'[^']*')[:](?: |$)/;
const PLAIN = /^(?:[A-Za-z0-9_./~+=^$(]|-[A-Za-z0-9.])[A-Za-z0-9_./~+=^$()%@:, -]*$/;

/** One line with content: a map entry and/or a sequence entry. */
interface Line {
  /** Column of the first character (a `-` for sequence entries). */
  indent: number;
  /** Starts with `- `. */
  seq: boolean;
  /** Column of the content after `- ` (or `indent` when not a sequence entry). */
  col: number;
  key: string | undefined;
  /** A value on the line (always, for a sequence entry without key). */
  hasValue: boolean;
  value: unknown;
}

/** The plain words the YAML 1.2 core schema reads as null or booleans. */
const WORDS = new Map<string, null | boolean>([
  ...['~', 'null', 'Null', 'NULL'].map((w) => [w, null] as const),
  ...['true', 'True', 'TRUE'].map((w) => [w, true] as const),
  ...['false', 'False', 'FALSE'].map((w) => [w, false] as const),
]);

/** The plain scalar `s` under the YAML 1.2 core schema, as `yaml` resolves it. */
function resolvePlain(s: string): unknown {
  const word = WORDS.get(s);
  if (word !== undefined) return word;
  // Most scalars are names: only these first characters can start a number.
  if (!'0123456789-+.'.includes(s[0]!)) return s;
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^[-+]?\.(?:inf|Inf|INF)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(?:nan|NaN|NAN)$/.test(s)) return NaN;
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return parseFloat(s);
  return s;
}

const FLOW_PLAIN = /(?:[A-Za-z0-9_./~+=^$(]|-[A-Za-z0-9.])[A-Za-z0-9_./~+=^$()-]*/y;
const FLOW_KEY = /([A-Za-z0-9_][A-Za-z0-9_./-]*|"[^"\\]*"|'[^']*'): +/y;
const FLOW_QUOTED = /"([^"\\]*)"|'((?:[^']|'')*)'/y;

/** A one-line flow collection (`{name: a, bridge: {}}`, `[a, b]`) and nothing after it but a comment. */
class FlowReader {
  private pos = 0;
  constructor(private readonly text: string) {}

  whole(): unknown {
    const value = this.node();
    this.spaces();
    if (this.pos !== this.text.length && !/^ +#/.test(this.text.slice(this.pos - 1)))
      throw new OutsideSubset();
    return value;
  }

  private spaces(): void {
    while (this.text[this.pos] === ' ') this.pos++;
  }

  private match(re: RegExp): RegExpExecArray {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) throw new OutsideSubset();
    this.pos = re.lastIndex;
    return m;
  }

  private node(): unknown {
    const c = this.text[this.pos];
    if (c === '{') return this.collection('}', () => this.pair());
    if (c === '[') return this.collection(']', () => this.node());
    if (c === '"' || c === "'") {
      const m = this.match(FLOW_QUOTED);
      return m[1] ?? m[2]!.replace(/''/g, "'");
    }
    return resolvePlain(this.match(FLOW_PLAIN)[0]);
  }

  private pair(): [string, unknown] {
    const key = keyName(this.match(FLOW_KEY)[1]!);
    return [key, this.node()];
  }

  /** `{...}` or `[...]`: items separated by `, ` with no trailing comma. */
  private collection<T>(close: string, item: () => T): unknown {
    const items: T[] = [];
    this.pos++;
    this.spaces();
    if (this.text[this.pos] === close) {
      this.pos++;
      return close === '}' ? {} : [];
    }
    for (;;) {
      items.push(item());
      this.spaces();
      const c = this.text[this.pos++];
      if (c === close) break;
      if (c !== ',') throw new OutsideSubset();
      this.spaces();
    }
    if (close === ']') return items;
    const out: Record<string, unknown> = {};
    for (const [k, v] of items as [string, unknown][]) setKey(out, k, v);
    return out;
  }
}

/** Sets `key` as `yaml` does (so that keys like `__proto__` become own properties); a second `key` leaves the subset. */
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (Object.hasOwn(out, key)) throw new OutsideSubset();
  if (key in out)
    Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  else out[key] = value;
}

/** A scalar or one-line flow collection written on the rest of a line (after `: ` or `- `). */
function scalar(text: string): unknown {
  if (text === '{}') return {};
  if (text === '[]') return [];
  if (text[0] === '{' || text[0] === '[') return new FlowReader(text).whole();
  const q = text[0];
  if (q === '"' || q === "'") {
    const m = q === '"' ? /^"([^"\\]*)"(?: +#.*)?$/.exec(text) : /^'((?:[^']|'')*)'(?: +#.*)?$/.exec(text);
    if (!m) throw new OutsideSubset();
    return q === '"' ? m[1] : m[1]!.replace(/''/g, "'");
  }
  const hash = text.indexOf(' #');
  const plain = (hash < 0 ? text : text.slice(0, hash)).trimEnd();
  if (!PLAIN.test(plain) || plain.includes(': ') || plain.endsWith(':') || plain.includes(' #'))
    throw new OutsideSubset();
  return resolvePlain(plain);
}

function keyName(raw: string): string {
  if (raw[0] === '"') return raw.slice(1, -1);
  if (raw[0] === "'") return raw.slice(1, -1);
  const k = resolvePlain(raw);
  // `true:` or `1:` become strings in a JS object; left to `yaml` rather than imitated.
  if (typeof k !== 'string') throw new OutsideSubset();
  return k;
}

/** The line's structure, or undefined for a blank or comment line. */
function readLine(text: string): Line | undefined {
  let indent = 0;
  while (text.charCodeAt(indent) === 32) indent++;
  let rest = text.slice(indent);
  if (rest === '' || rest.startsWith('#')) return undefined;
  let seq = false;
  let col = indent;
  if (rest.startsWith('- ')) {
    const after = rest.slice(2).trimStart();
    col = indent + rest.length - after.length;
    rest = after;
    seq = true;
    if (rest === '' || rest.startsWith('#') || rest.startsWith('- ') || rest === '-')
      throw new OutsideSubset();
  }
  const key = KEY.exec(rest);
  if (!key) {
    if (!seq) throw new OutsideSubset();
    return { indent, seq, col, key: undefined, hasValue: true, value: scalar(rest) };
  }
  const after = rest.slice(key[0].length).trimStart();
  const hasValue = after !== '' && !after.startsWith('#');
  return { indent, seq, col, key: keyName(key[1]!), hasValue, value: hasValue ? scalar(after) : undefined };
}

/** Reads the lines of one document into a value. */
class BlockReader {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  document(): unknown {
    const first = this.lines[0]!;
    const value = this.node(first.indent);
    if (this.i !== this.lines.length) throw new OutsideSubset();
    return value;
  }

  private node(indent: number): unknown {
    const line = this.lines[this.i]!;
    if (line.indent !== indent) throw new OutsideSubset();
    if (line.seq) return this.sequence(indent);
    return this.map(indent);
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let line = this.lines[this.i]; line?.seq && line.indent === indent; line = this.lines[this.i]) {
      if (line.key !== undefined) out.push(this.map(line.col));
      else {
        out.push(line.value);
        this.i++;
      }
    }
    return out;
  }

  /** A map whose keys are at column `col`; its first line may be a sequence entry (`- key: ...`). */
  private map(col: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let first = true;
    for (
      let line = this.lines[this.i];
      line?.key !== undefined && line.col === col && (first ? true : !line.seq);
      line = this.lines[this.i]
    ) {
      first = false;
      this.i++;
      let value: unknown = null;
      if (line.hasValue) value = line.value;
      else {
        const next = this.lines[this.i];
        if (next && (next.indent > col || (next.seq && next.indent === col))) value = this.node(next.indent);
      }
      setKey(out, line.key, value);
    }
    return out;
  }
}

/** The non-empty documents of `text` as values, or undefined when the text is not in the subset. */
export function blockYamlValues(text: string): unknown[] | undefined {
  if (UNUSUAL_CHAR.test(text)) return undefined;
  const docs: Line[][] = [[]];
  try {
    for (const raw of text.split('\n')) {
      if (raw.length > MAX_LINE) return undefined;
      if (raw === '---') {
        docs.push([]);
        continue;
      }
      if (raw.startsWith('---') || raw.startsWith('...') || raw.startsWith('%')) return undefined;
      const line = readLine(raw);
      if (line) docs.at(-1)!.push(line);
    }
    return docs.filter((lines) => lines.length > 0).map((lines) => new BlockReader(lines).document());
  } catch (err) {
    if (err instanceof OutsideSubset) return undefined;
    throw err;
  }
}
