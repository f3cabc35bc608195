import { z } from 'zod';

/** RFC 9110 field names: one or more token characters. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What no field value may hold: a line break would start a header of its own (an injection). */
const FORBIDDEN_IN_VALUE = /[\r\n\0]/;

/** Why `name` cannot be an HTTP header name, or undefined when it can. */
export function headerNameProblem(name: string): string | undefined {
  return HEADER_NAME.test(name)
    ? undefined
    : `${JSON.stringify(name)} is not an HTTP header name: use letters, digits and !#$%&'*+-.^_\`|~`;
}

/** Why `value` cannot be sent in a header named `name` (never quoting the value: it may be a secret). */
export function headerValueProblem(name: string, value: string): string | undefined {
  return FORBIDDEN_IN_VALUE.test(value)
    ? `the value of ${name} holds a line break or NUL, which no HTTP header may hold`
    : undefined;
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

/**
 * Headers sent with every request (name to value); `reserved` (lower case) are what `sender` writes
 * itself, and refused. A problem names the header and never quotes its value.
 */
export function headerRecord(reserved: ReadonlySet<string>, sender: string) {
  return z
    .record(z.string(), z.string({ error: 'expected a string header value' }))
    .superRefine((headers, ctx) => {
      for (const [name, value] of Object.entries(headers)) {
        const problem =
          headerNameProblem(name) ??
          (reserved.has(name.toLowerCase()) ? `${name} is set by ${sender}: remove it` : undefined) ??
          headerValueProblem(name, value);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: problem });
      }
    });
}
