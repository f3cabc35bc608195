import type { z } from 'zod';

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  array: 'a list',
  null: 'null',
};

/** What a value is, in YAML's terms, without repeating the value itself (it may be a secret). */
export function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

/**
 * What a schema takes, said the way the schema's own messages say it: a field with a custom message
 * (a pattern, a minimum length) explains itself when probed with an empty string; a plain one by its
 * type.
 */
function whatItTakes(issue: z.core.$ZodRawIssue): string {
  const inst = issue.inst as z.ZodType | undefined;
  if (inst && typeof inst.safeParse === 'function') {
    const probe = inst.safeParse('');
    const own = probe.success ? undefined : probe.error.issues.find((i) => i.code !== 'invalid_type');
    if (own && /^expected /.test(own.message)) return own.message.slice('expected '.length);
  }
  const expected = issue.code === 'invalid_type' ? String(issue.expected) : '';
  return TYPE_WORDS[expected] ?? `a value of type ${expected}`;
}

/**
 * The loader's error map for zod: type errors say what the key takes and what was found instead, in
 * words a config author uses (a mapping, a list), never zod's `expected string, received undefined`.
 * Messages given in the schema itself win over this one.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== 'invalid_type') return undefined;
  const takes = whatItTakes(issue);
  if (issue.input === undefined) return `expected ${takes}`;
  return `expected ${takes}, found ${kindOf(issue.input)}`;
};

/**
 * The message of a problem for a key that is absent: `missing key "name": it takes a tool name of …`
 * (from the schema's `expected …`, its own or the error map's).
 */
export function missingKeyMessage(message: string, key: string | number | undefined): string {
  const takes = message.replace(/^expected /, '');
  return typeof key === 'string' ? `missing key "${key}": it takes ${takes}` : `missing: it takes ${takes}`;
}
