import { z } from 'zod';

/** RFC 9110 field names: one or more token characters. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Outside RFC 9110 field-value text (tabs, spaces, visible ASCII, Latin-1 obs-text), as undici checks it. */
const NOT_HEADER_TEXT = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Headers a config may not fix for every request: undici refuses `transfer-encoding`, `keep-alive`,
 * `upgrade` and `expect` outright, and a fixed `content-length` would be wrong for any other body.
 * (What an argument may not write is a longer list: request-safety.ts.)
 */
export const UNSENDABLE_HEADERS: ReadonlySet<string> = new Set([
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'expect',
]);

/**
 * Whether `text` can be a header's value. A line break would start a header of its own (an
 * injection); control characters and text beyond Latin-1 are refused by the HTTP client.
 */
export function isHeaderText(text: string): boolean {
  return !NOT_HEADER_TEXT.test(text);
}

/** Why `name` cannot be an HTTP header name, or undefined when it can. */
export function headerNameProblem(name: string): string | undefined {
  return HEADER_NAME.test(name)
    ? undefined
    : `${JSON.stringify(name)} is not an HTTP header name: use letters, digits and !#$%&'*+-.^_\`|~`;
}

/** Why `value` cannot be sent in a header named `name` (never quoting the value: it may be a secret). */
export function headerValueProblem(name: string, value: string): string | undefined {
  return isHeaderText(value)
    ? undefined
    : `the value of ${name} holds a line break, a control character or a character beyond Latin-1, which HTTP headers cannot carry`;
}

/** A header name in the config (`auth.name` of a header credential). */
export const headerName = z
  .string({ error: 'expected a header name' })
  .min(1, { error: 'expected a header name' })
  .superRefine((name, ctx) => {
    const problem = headerNameProblem(name);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A header value in the config; `what` names it in the message (`the token`). */
export const headerValue = (what: string, schema: z.ZodString = z.string()) =>
  schema.superRefine((value, ctx) => {
    const problem = headerValueProblem(what, value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/** The problem of one header of a record, or undefined. */
function headerProblem(
  name: string,
  value: string,
  seen: Set<string>,
  reserved: ReadonlySet<string>,
  sender: string,
): string | undefined {
  const nameProblem = headerNameProblem(name);
  if (nameProblem !== undefined) return nameProblem;
  const lower = name.toLowerCase();
  if (reserved.has(lower)) return `${name} is set by ${sender}: remove it`;
  // One would replace the other silently: header names are case-insensitive.
  if (seen.has(lower)) return `${name} is given twice (header names are case-insensitive): keep one`;
  seen.add(lower);
  return headerValueProblem(name, value);
}

/**
 * Headers sent with every request (name to value); `reserved` (lower case) are what `sender` writes
 * itself, and refused. A problem names the header and never quotes its value.
 */
export function headerRecord(reserved: ReadonlySet<string>, sender: string) {
  return z
    .record(z.string(), z.string({ error: 'expected a string header value' }))
    .superRefine((headers, ctx) => {
      const seen = new Set<string>();
      for (const [name, value] of Object.entries(headers)) {
        const problem = headerProblem(name, value, seen, reserved, sender);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: problem });
      }
    });
}
