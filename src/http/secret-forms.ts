import { domainToASCII } from 'node:url';
import { base64Forms } from './base64-forms.js';

/** Shorter values would blank out ordinary words; they are no secrets anyway. */
export const MIN_SECRET_LENGTH = 4;

/** One alternative of a secret's pattern: regex source, and the fewest characters it matches. */
export interface SecretForm {
  readonly source: string;
  readonly length: number;
  /**
   * Written in base64 and hex characters only (a base64 or hex form): scanned for only inside runs of
   * them, with case as the source says (see `runScan`).
   */
  readonly inRun?: boolean;
}

export const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Every form an upstream, a library or a log may write `value` in. Its text with any of its
 * characters (but letters and digits, which no encoder escapes) escaped, each its own way and mixed:
 * percent-encoded (every dialect: `encodeURIComponent`, a URL's path, query or user info, form
 * encoding with `+` for a space), JSON-escaped (`\"`, `\/`, `\u00e9`), HTML character references
 * (`&#39;`, `&#x2F;`, `&amp;`). Its bytes as base64 (padded or not, standard or URL-safe; from 8 bytes
 * on also inside a longer base64-encoded value, see `base64Forms`) and hex;
 * for a non-ASCII value its IDNA form (`xn--…`, as URL and undici write a host name that holds it).
 * For a credential header value `Bearer x` / `Basic x` also `x`, and for Basic the decoded
 * `user:password` and the password alone. Case is ignored when matching (but in base64 forms, whose
 * case is their content), which covers lower-cased echoes, hex and `%2f`.
 */
export function secretForms(value: string): SecretForm[] {
  const out = new Map<string, SecretForm>();
  const set = (source: string, length: number) => out.set(source, { source, length });
  const literal = (v: string) => set(escapeRegex(v), v.length);
  const add = (v: string) => {
    if (v.length < MIN_SECRET_LENGTH) return;
    set(escapedForm(v), v.length);
    const bytes = Buffer.from(v, 'utf8');
    for (const f of base64Forms(bytes)) out.set(f.source, f);
    // Hex is byte-aligned: inside a longer value its text is the value's own. Any case matches.
    const hex = bytes.toString('hex');
    out.set(hex, {
      source: hex.replace(/[a-f]/g, (d) => `[${d}${d.toUpperCase()}]`),
      length: hex.length,
      inRun: true,
    });
    if (NON_ASCII.test(v)) {
      // A host name is normalised (NFC) before it is punycoded: its labels decode to that form.
      const nfc = v.normalize('NFC');
      if (nfc !== v) set(escapedForm(nfc), nfc.length);
      const idna = domainToASCII(v);
      if (idna.includes('xn--')) literal(idna);
    }
  };
  add(value);
  const space = value.indexOf(' ');
  if (space > 0) {
    const scheme = value.slice(0, space).toLowerCase();
    const rest = value.slice(space + 1);
    add(rest);
    if (scheme === 'basic') {
      const decoded = Buffer.from(rest, 'base64').toString('utf8');
      add(decoded);
      const colon = decoded.indexOf(':');
      if (colon >= 0) add(decoded.slice(colon + 1));
    }
  }
  return [...out.values()];
}

export function escapeRegex(v: string): string {
  return v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const ALNUM = /^[A-Za-z0-9]$/;

/** Regex source of `v` where each character but letters and digits may also be written escaped. */
function escapedForm(v: string): string {
  let source = '';
  for (const ch of v) source += ALNUM.test(ch) ? ch : charForms(ch);
  return source;
}

/** Named HTML references of the characters HTML escapers write by name. */
const HTML_NAMES: Record<string, string> = { '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' };
/** JSON's short escapes (and `\/`, as some serialisers write a slash). */
const JSON_SHORT: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  '\n': 'n',
  '\r': 'r',
  '\t': 't',
  '\b': 'b',
  '\f': 'f',
};

/** One character as written, or escaped: percent (UTF-8), JSON, HTML (decimal, hex, named). */
function charForms(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const forms = [escapeRegex(ch)];
  forms.push([...Buffer.from(ch, 'utf8')].map((b) => `%${hex(b, 2)}`).join(''));
  if (ch === ' ') forms.push('\\+');
  const short = JSON_SHORT[ch];
  if (short !== undefined) forms.push(`\\\\${escapeRegex(short)}`);
  let units = '';
  for (let i = 0; i < ch.length; i++) units += `\\\\u${hex(ch.charCodeAt(i), 4)}`;
  forms.push(units);
  forms.push(`&#0*${cp};`, `&#x0*${hex(cp, 1)};`);
  const name = HTML_NAMES[ch];
  if (name !== undefined) forms.push(`&${name};`);
  return `(?:${forms.join('|')})`;
}
