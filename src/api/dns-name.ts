// Kubernetes name syntaxes (RFC 1123 label and subdomain, IANA service name). Pure.

const LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** RFC 1123 DNS label: lowercase alphanumerics and '-', ≤ 63 characters. */
export function isDnsLabel(text: string): boolean {
  return LABEL_RE.test(text);
}

/** RFC 1123 DNS subdomain: dot-separated labels, ≤ 253 characters. */
export function isDnsSubdomain(text: string): boolean {
  return text.length <= 253 && text.split('.').every((l) => LABEL_RE.test(l));
}

/** IANA service name (RFC 6335): ≤ 15 chars, lowercase letters/digits/'-', a letter, no '--', no edge '-'. */
export function isIanaServiceName(text: string): boolean {
  return (
    text.length >= 1 &&
    text.length <= 15 &&
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text) &&
    /[a-z]/.test(text) &&
    !text.includes('--')
  );
}
