// Quoted YAML strings that run over several lines with their continuation lines less indented than
// YAML 1.2 asks (`note: "a long` / `text"` at column 1). The parsers of the Kubernetes world (go-yaml,
// libyaml) read them; the `yaml` package refuses them. Since a quoted scalar folds its line breaks and
// drops the leading white space of each continuation line, indenting those lines changes no value:
// this module does that to the text around a reported unclosed quote, so the document parses and every
// line keeps its number. Pure.

/** Where a quoted scalar that starts at `start` (the quote) ends: the index of its closing quote, or -1. */
function closingQuote(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (quote === '"' && c === '\\') i++;
    else if (c === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}

/** The index of the quote that opens a scalar on the line at `offset` and does not close on it, or -1. */
function unclosedQuoteOnLine(text: string, offset: number): number {
  const eol = text.indexOf('\n', offset) < 0 ? text.length : text.indexOf('\n', offset);
  let prev = '';
  for (let i = offset; i < eol; i++) {
    const c = text[i]!;
    if ((c === '"' || c === "'") && (prev === '' || ':-[{,'.includes(prev))) {
      const end = closingQuote(text, i);
      if (end < 0 || end > eol) return i;
      i = end;
      prev = c;
      continue;
    }
    if (c === '#' && (i === offset || text[i - 1] === ' ')) return -1;
    if (c !== ' ' && c !== '\t') prev = c;
  }
  return -1;
}

/**
 * `text` with the continuation lines of the quoted scalar left open on line `line` (1-based, where the
 * `yaml` package reports the missing quote) indented one column deeper than that line; undefined when
 * there is nothing to fix there (no open quote, no closing quote, or already indented).
 */
export function indentQuotedContinuation(text: string, line: number): string | undefined {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return undefined;
    offset = nl + 1;
  }
  const start = unclosedQuoteOnLine(text, offset);
  if (start < 0) return undefined;
  const end = closingQuote(text, start);
  if (end < 0) return undefined;
  const ownIndent = /^[ ]*/.exec(text.slice(offset))![0].length;
  const need = ownIndent + 1;
  let changed = false;
  const body = text.slice(start, end).replace(/\n([ \t]*)(?=[^\n])/g, (m, ws: string) => {
    if (ws.replace(/\t/g, ' ').length >= need) return m;
    changed = true;
    return `\n${' '.repeat(need)}${ws.trimStart()}`;
  });
  return changed ? text.slice(0, start) + body + text.slice(end) : undefined;
}

/** Where the first quote that never closes opens (1-based), for reporting it there rather than at the end of the file. */
export function neverClosedQuote(text: string): { line: number; column: number } | undefined {
  let offset = 0;
  for (let line = 1; offset <= text.length; line++) {
    const start = unclosedQuoteOnLine(text, offset);
    if (start >= 0 && closingQuote(text, start) < 0) return { line, column: start - offset + 1 };
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return undefined;
    offset = nl + 1;
  }
  return undefined;
}
