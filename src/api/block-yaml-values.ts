// The values of YAML text written in the plain block style generated specs use (maps and sequences by
// indentation, one-line scalars, `{}` and `[]`, comments, `---` between documents), read many times
// faster than the `yaml` package reads them. Only that subset is read: anything else (anchors, tags,
// merge keys, block or multi-line scalars, flow collections with content, escapes, tabs, non-ASCII,
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
  key?: string;
  /** A value on the line (always, for a sequence entry without key). */
  hasValue: boolean;
  value?: unknown;
}

/** The plain scalar `s` under the YAML 1.2 core schema, as `yaml` resolves it. */
function resolvePlain(s: string): unknown {
  // Most scalars are names: only these first characters can start a null, a boolean or a number.
  if (!'~nNtTfF0123456789-+.'.includes(s[0]!)) return s;
  if (/^(?:~|[Nn]ull|NULL)$/.test(s)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(s)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(s)) return false;
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^[-+]?\.(?:inf|Inf|INF)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(?:nan|NaN|NAN)$/.test(s)) return NaN;
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return parseFloat(s);
  return s;
}

/** A scalar or empty flow collection written on the rest of a line (after `: ` or `- `). */
function scalar(text: string): unknown {
  if (text === '{}') return {};
  if (text === '[]') return [];
  const q = text[0];
  if (q === '"' || q === "'") {
    const m = q === '"' ? /^"([^"\\]*)"(?: +#.*)?$/.exec(text) : /^'((?:[^']|'')*)'(?: +#.*)?$/.exec(text);
    if (!m) throw new OutsideSubset();
    return q === '"' ? m[1] : m[1]!.replace(/''/g, "'");
  }
  const hash = text.indexOf(' #');
  const plain = (hash < 0 ? text : text.slice(0, hash)).trimEnd();
  if (!PLAIN.test(plain) || plain.includes(': ') || plain.endsWith(':') || plain.includes(' #')) throw new OutsideSubset();
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
    if (rest === '' || rest.startsWith('#') || rest.startsWith('- ') || rest === '-') throw new OutsideSubset();
  }
  const key = KEY.exec(rest);
  if (!key) {
    if (!seq) throw new OutsideSubset();
    return { indent, seq, col, hasValue: true, value: scalar(rest) };
  }
  const after = rest.slice(key[0].length).trimStart();
  const hasValue = after !== '' && !after.startsWith('#');
  return { indent, seq, col, key: keyName(key[1]!), hasValue, ...(hasValue ? { value: scalar(after) } : {}) };
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
    for (let line = this.lines[this.i]; line?.key !== undefined && line.col === col && (first ? true : !line.seq); line = this.lines[this.i]) {
      first = false;
      this.i++;
      let value: unknown = null;
      if (line.hasValue) value = line.value;
      else {
        const next = this.lines[this.i];
        if (next && (next.indent > col || (next.seq && next.indent === col))) value = this.node(next.indent);
      }
      if (Object.hasOwn(out, line.key)) throw new OutsideSubset();
      // As `yaml` does, so that keys like `__proto__` become own properties.
      if (line.key in out) Object.defineProperty(out, line.key, { value, writable: true, enumerable: true, configurable: true });
      else out[line.key] = value;
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
