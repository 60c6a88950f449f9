// How a value from the spec is quoted in a message: never echoed whole, since a name can be megabytes
// long and a message is read by a person (and copied into logs and Events). Pure.

/** Characters of a value a message shows before cutting it. */
export const SHOWN_VALUE_CHARS = 64;

/** `text` JSON-quoted, cut to SHOWN_VALUE_CHARS characters with its full length said when longer. */
export function shown(text: string): string {
  if (text.length <= SHOWN_VALUE_CHARS) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, SHOWN_VALUE_CHARS))}… (${text.length} characters)`;
}
