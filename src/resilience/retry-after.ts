// The three HTTP-date forms of RFC 9110 §5.6.7 (IMF-fixdate, obsolete RFC 850, asctime), case-insensitive.
const IMF = /^[a-z]{3},\s*(\d{1,2})\s+([a-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2}):(\d{2})\s+gmt$/i;
const RFC850 = /^[a-z]{6,9},\s*(\d{1,2})-([a-z]{3})-(\d{2})\s+(\d{2}):(\d{2}):(\d{2})\s+gmt$/i;
const ASCTIME = /^[a-z]{3}\s+([a-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/i;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Parses a `Retry-After` header value into a delay in ms relative to `nowMs`.
 *
 * Accepts delta-seconds (`"120"`) and an HTTP-date (`"Wed, 21 Oct 2015 07:28:00 GMT"`, plus the
 * obsolete RFC 850 and asctime forms). A date in the past gives 0. Anything malformed (negative,
 * fractional, impossible dates such as 31 Feb, empty) gives `undefined`: it never throws.
 * An array (repeated header) uses its first element.
 */
export function parseRetryAfter(
  headerValue: string | readonly string[] | null | undefined,
  nowMs: number,
): number | undefined {
  const raw = typeof headerValue === 'string' ? headerValue : headerValue?.[0];
  if (typeof raw !== 'string') return undefined;
  const v = raw.trim();
  if (v.length === 0) return undefined;
  if (isDigits(v)) {
    const seconds = Number(v);
    return Number.isFinite(seconds) ? seconds * 1000 : undefined;
  }
  const at = parseHttpDate(v, nowMs);
  return at === undefined ? undefined : Math.max(0, at - nowMs);
}

function isDigits(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

interface DateParts {
  day: string;
  mon: string;
  year: number;
  hh: string;
  mm: string;
  ss: string;
}

function matchHttpDate(v: string, nowMs: number): DateParts | undefined {
  const imf = IMF.exec(v);
  if (imf) return { day: imf[1]!, mon: imf[2]!, year: Number(imf[3]), hh: imf[4]!, mm: imf[5]!, ss: imf[6]! };
  const rfc850 = RFC850.exec(v);
  if (rfc850) {
    // RFC 9110: a two-digit year more than 50 years in the future means the previous century.
    // "Now" is the caller's nowMs, not the wall clock, so an injected clock decides.
    const yy = Number(rfc850[3]);
    const year = 2000 + yy > new Date(nowMs).getUTCFullYear() + 50 ? 1900 + yy : 2000 + yy;
    return { day: rfc850[1]!, mon: rfc850[2]!, year, hh: rfc850[4]!, mm: rfc850[5]!, ss: rfc850[6]! };
  }
  const asc = ASCTIME.exec(v);
  if (asc) return { mon: asc[1]!, day: asc[2]!, hh: asc[3]!, mm: asc[4]!, ss: asc[5]!, year: Number(asc[6]) };
  return undefined;
}

function parseHttpDate(v: string, nowMs: number): number | undefined {
  const p = matchHttpDate(v, nowMs);
  if (!p) return undefined;
  const month = MONTHS.indexOf(p.mon.toLowerCase());
  const d = Number(p.day);
  const h = Number(p.hh);
  const mi = Number(p.mm);
  const s = Number(p.ss);
  if (month < 0 || h > 23 || mi > 59 || s > 60) return undefined;
  // A leap second (60) is read as 59.
  const at = Date.UTC(p.year, month, d, h, mi, Math.min(s, 59));
  // Date.UTC rolls 31 Feb over into March; such a date is malformed, not "3 March".
  if (new Date(at).getUTCDate() !== d) return undefined;
  return at;
}
