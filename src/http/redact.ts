import { domainToUnicode } from 'node:url';
import { type RunScan, runScan, scrubRuns } from './run-scan.js';
import { MIN_SECRET_LENGTH, NON_ASCII, type SecretForm, secretForms } from './secret-forms.js';

/** The placeholder that replaces every secret in logs, errors and metrics. */
export const REDACTED = '[REDACTED]';

/** Headers that always carry credentials, whatever the configuration says. */
const ALWAYS_SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
];

/** Query parameters that commonly carry credentials; configured ones are added to these. */
const ALWAYS_SECRET_QUERY = [
  'api_key',
  'apikey',
  'access_token',
  'token',
  'key',
  'secret',
  'client_secret',
  'password',
  'signature',
  'sig',
];

/**
 * A punycoded host label, captured; last of the pattern's alternatives, so a secret's own forms
 * (which capture nothing) match first.
 */
const PUNYCODE_LABEL = '(xn--[a-z0-9-]+)';

/** What a redactor scans for: `text`, the case-insensitive forms; `runs`, the base64 and hex ones. */
interface ScrubPattern {
  readonly text: RegExp | undefined;
  readonly runs: RunScan | undefined;
}

/**
 * The forms of `values`, split: one case-insensitive pattern of every variant but base64 and hex,
 * longest first so the whole echo is replaced, and the scan for those two (`runScan`). When a value is non-ASCII the pattern also
 * matches every punycoded label: a host label that only holds the value (`${TENANT}-eu`) punycodes to a
 * form no variant lists, so `replacement` decodes the label to see.
 */
function patternOf(values: readonly string[]): ScrubPattern | undefined {
  const forms = new Map<string, SecretForm>();
  for (const v of values) for (const f of secretForms(v)) forms.set(f.source, f);
  if (forms.size === 0) return undefined;
  const all = [...forms.values()];
  const alternatives = all
    .filter((f) => f.inRun !== true)
    .sort((a, b) => b.length - a.length)
    .map((f) => f.source);
  if (values.some((v) => NON_ASCII.test(v))) alternatives.push(PUNYCODE_LABEL);
  return {
    text: alternatives.length > 0 ? new RegExp(alternatives.join('|'), 'gi') : undefined,
    runs: runScan(all.filter((f) => f.inRun === true)),
  };
}

/** `text` with every form of `pattern` replaced; `text` itself when none is there. */
function scrubWith(pattern: ScrubPattern, text: string): string {
  let out = text;
  const re = pattern.text;
  if (re !== undefined) {
    re.lastIndex = 0;
    if (re.test(out)) out = out.replace(re, replacement(re));
  }
  return pattern.runs !== undefined ? scrubRuns(out, pattern.runs, REDACTED) : out;
}

/** What replaces a match of `re`: a punycoded label stays unless its Unicode form holds a secret. */
function replacement(re: RegExp): (match: string, label: unknown) => string {
  // Without the label alternative, the second argument is the match's offset.
  return (match, label) => {
    if (typeof label !== 'string') return REDACTED;
    const decoded = domainToUnicode(match);
    // `search` keeps `re.lastIndex`; `replace` has found every match before it asks for any replacement.
    return decoded !== '' && decoded !== match && decoded.search(re) >= 0 ? REDACTED : match;
  };
}

/**
 * Secret values that several redactors share and that may grow while they run: a gateway's `${ENV}`
 * values, to which a reload adds those of the new config. Never shrinks: a value once a secret stays
 * one (a rotated-out token may still be valid, and calls in flight may still send it).
 */
export class SecretSet {
  private readonly seen = new Set<string>();
  private list: readonly string[] = [];
  /** Bumped by each `add` that brought a new value: redactors rebuild their patterns then. */
  version = 0;

  constructor(values: Iterable<string> = []) {
    this.add(values);
  }

  /** Adds values (shorter than 4 characters are no secrets and are left out). */
  add(values: Iterable<string>): void {
    let grew = false;
    for (const v of values)
      if (v.length >= MIN_SECRET_LENGTH && !this.seen.has(v)) {
        this.seen.add(v);
        grew = true;
      }
    if (!grew) return;
    this.list = [...this.seen];
    this.version++;
  }

  get values(): readonly string[] {
    return this.list;
  }
}

/**
 * Knows which header names and query parameters are secret and strips their values from anything that
 * leaves the client as text: log fields, error messages, metric labels. Values it is told about
 * (`secretValues`: the gateway passes every `${ENV}` value of its config) are scrubbed in every
 * encoding `secretForms` lists.
 */
export class Redactor {
  private readonly headers: Set<string>;
  private readonly query: Set<string>;
  private readonly own: readonly string[];
  private known: readonly string[];
  private knownPattern: ScrubPattern | undefined | null = null;
  private patterns = new WeakMap<readonly string[], ScrubPattern | undefined>();
  /** The version of `shared` the patterns were built from. */
  private sharedVersion = -1;

  /**
   * `secretValues` are this redactor's own; `shared` (when given) is read at each scrub, so values
   * added to it later are scrubbed from then on.
   */
  constructor(
    secretHeaders: readonly string[] = [],
    secretQueryParams: readonly string[] = [],
    secretValues: readonly string[] = [],
    private readonly shared?: SecretSet,
  ) {
    this.headers = new Set([...ALWAYS_SECRET_HEADERS, ...secretHeaders.map((h) => h.toLowerCase())]);
    this.query = new Set([...ALWAYS_SECRET_QUERY, ...secretQueryParams.map((q) => q.toLowerCase())]);
    this.own = secretValues.filter((v) => v.length >= MIN_SECRET_LENGTH);
    this.known = this.own;
    this.refresh();
  }

  /** Takes in values added to the shared set since the patterns were built (one compare when none). */
  private refresh(): void {
    const shared = this.shared;
    if (shared === undefined || shared.version === this.sharedVersion) return;
    this.sharedVersion = shared.version;
    this.known = [...this.own, ...shared.values];
    this.knownPattern = null;
    this.patterns = new WeakMap();
  }

  /** True when this redactor was given values to scrub besides the per-request ones. */
  get hasKnownSecrets(): boolean {
    this.refresh();
    return this.known.length > 0;
  }

  /**
   * `text` with every known secret value (`secretValues`) replaced, in any encoding. For a successful
   * answer: cheap when nothing matches (one regex scan, one loop for runs of base64 and hex characters), and
   * returns `text` itself then.
   */
  scrub(text: string): string {
    this.refresh();
    if (this.knownPattern === null) this.knownPattern = patternOf(this.known);
    const pattern = this.knownPattern;
    return pattern === undefined ? text : scrubWith(pattern, text);
  }

  isSecretHeader(name: string): boolean {
    return this.headers.has(name.toLowerCase());
  }

  isSecretQueryParam(name: string): boolean {
    return this.query.has(name.toLowerCase());
  }

  /** A copy of `headers` with secret values replaced; for logs only (never sent). */
  headersForLog(headers: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (!headers) return out;
    for (const name of Object.keys(headers)) {
      out[name] = this.isSecretHeader(name) ? REDACTED : headers[name];
    }
    return out;
  }

  /**
   * Replaces the values of secret query parameters in a path or URL ("/x?api_key=abc" becomes
   * "/x?api_key=[REDACTED]"). Works on raw (encoded) text so nothing is decoded into a log.
   */
  url(pathOrUrl: string): string {
    const q = pathOrUrl.indexOf('?');
    if (q < 0) return pathOrUrl;
    const hash = pathOrUrl.indexOf('#', q);
    const end = hash < 0 ? pathOrUrl.length : hash;
    const parts = pathOrUrl.slice(q + 1, end).split('&');
    let changed = false;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const eq = part.indexOf('=');
      const rawName = eq < 0 ? part : part.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // A malformed name is not one of ours; leave it as is.
      }
      if (this.isSecretQueryParam(name)) {
        parts[i] = `${rawName}=${REDACTED}`;
        changed = true;
      }
    }
    if (!changed) return pathOrUrl;
    return `${pathOrUrl.slice(0, q + 1)}${parts.join('&')}${pathOrUrl.slice(end)}`;
  }

  /**
   * Removes secret values from free text (e.g. an upstream's error body that echoes a token), in every
   * encoding `secretForms` lists: `values` (the literal secrets in play for this request) and the
   * known ones. The pattern is built once per `values` array (the client reuses one for its defaults).
   */
  text(text: string, values: readonly string[]): string {
    this.refresh();
    let re = this.patterns.get(values);
    if (re === undefined && !this.patterns.has(values)) {
      re = patternOf([...values, ...this.known]);
      this.patterns.set(values, re);
    }
    return re === undefined ? text : scrubWith(re, text);
  }
}
