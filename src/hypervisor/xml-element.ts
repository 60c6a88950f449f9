// A minimal XML element tree for the documents virtnet writes (libvirt domain XML): elements with
// attributes, text and children, serialised with every value escaped — never by concatenating
// input into markup. Output is indented two spaces per level; an element holding only text stays
// on one line, an empty one closes itself. Pure.

/** One element under construction. */
export class XmlElement {
  private readonly attributes: [string, string][] = [];
  private readonly children: (XmlElement | string)[] = [];

  constructor(readonly name: string) {}

  /** Appends a child element with `attributes`; returns the child. */
  ele(name: string, attributes: Record<string, string> = {}): XmlElement {
    const child = new XmlElement(name);
    for (const [k, v] of Object.entries(attributes)) child.att(k, v);
    this.children.push(child);
    return child;
  }

  /** Sets an attribute; returns this element. */
  att(name: string, value: string): XmlElement {
    this.attributes.push([name, value]);
    return this;
  }

  /** Appends text; returns this element. */
  txt(text: string): XmlElement {
    this.children.push(text);
    return this;
  }

  /** The element and its subtree, indented by `depth` levels. */
  render(depth = 0): string {
    const pad = '  '.repeat(depth);
    const open = `${pad}<${this.name}${this.attributes.map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`).join('')}`;
    if (this.children.length === 0) return `${open}/>`;
    if (this.children.every((c) => typeof c === 'string'))
      return `${open}>${this.children.map((c) => escapeText(c)).join('')}</${this.name}>`;
    const inner = this.children.map((c) =>
      typeof c === 'string' ? `${pad}  ${escapeText(c)}` : c.render(depth + 1),
    );
    return `${open}>\n${inner.join('\n')}\n${pad}</${this.name}>`;
  }
}

/** A whole document: the XML declaration and `root`. */
export function xmlDocument(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root.render()}`;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(value: string): string {
  return escapeText(value)
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}
