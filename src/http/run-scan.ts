import type { SecretForm } from './secret-forms.js';

/**
 * A scan for forms written in base64 and hex characters only (`SecretForm.inRun`): `forms` (every
 * one, case as its source says: base64's case is its content, hex's is not) is tried only inside runs
 * of those characters at least `shortest` long. Most text on a hot path (an error body, a log line)
 * has few such runs: finding them is one loop over the characters, cheaper than trying every form at
 * every position (a regex for the runs would rescan each shorter word once per character).
 */
export interface RunScan {
  readonly shortest: number;
  readonly forms: RegExp;
}

/** The scan for `forms` (`inRun` ones), or undefined when there are none. */
export function runScan(forms: readonly SecretForm[]): RunScan | undefined {
  if (forms.length === 0) return undefined;
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  return {
    shortest: sorted[sorted.length - 1]!.length,
    forms: new RegExp(sorted.map((f) => f.source).join('|'), 'g'),
  };
}

/** 1 at the char code of each character of either base64 alphabet, and of its padding. */
const IN_RUN = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-=')
  IN_RUN[ch.charCodeAt(0)] = 1;

/**
 * How many characters past `i` an escaped base64 character takes (`%2B`, `%2F`, `%3D` in a URL, `\/`
 * in JSON, as PHP writes a slash), or 0: a base64 value echoed in a query string or a JSON string is
 * one run still, else each escape would cut it into pieces no form matches whole.
 */
function escapeAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x5c) return text.charCodeAt(i + 1) === 0x2f ? 1 : 0;
  if (c !== 0x25) return 0;
  const hi = text.charCodeAt(i + 1);
  const lo = text.charCodeAt(i + 2) | 0x20;
  return (hi === 0x32 && (lo === 0x62 || lo === 0x66)) || (hi === 0x33 && lo === 0x64) ? 2 : 0;
}

/** `text` with each form of `scan` replaced by `redacted`; `text` itself when none is there. */
export function scrubRuns(text: string, scan: RunScan, redacted: string): string {
  let out: string | undefined;
  let from = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    if (c < 128 && IN_RUN[c] === 1) continue;
    const escaped = c === 0x25 || c === 0x5c ? escapeAt(text, i) : 0;
    if (escaped > 0) {
      i += escaped;
      continue;
    }
    if (i - start >= scan.shortest) {
      const run = text.slice(start, i);
      scan.forms.lastIndex = 0;
      if (scan.forms.test(run)) {
        out = (out ?? '') + text.slice(from, start) + run.replace(scan.forms, redacted);
        from = i;
      }
    }
    start = i + 1;
  }
  return out === undefined ? text : out + text.slice(from);
}
