import type { z } from 'zod';
import { RequestValidationError, ResponseValidationError, type ValidationIssue } from './errors.js';

/** Any zod schema. */
export type Schema = z.ZodType;
/** The parsed type a schema produces. */
export type Output<S extends Schema> = z.output<S>;

/**
 * Checks `data` against `schema` and returns the parsed value; throws `ResponseValidationError` listing
 * every failing field path (values are not echoed: they may hold personal data).
 */
export function validate<S extends Schema>(schema: S, data: unknown, method: string, url: string): Output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw new ResponseValidationError(method, url, toIssues(result.error), { cause: result.error });
}

/** Checks a request input before it is sent; throws `RequestValidationError`. */
export function validateInput<S extends Schema>(schema: S, data: unknown, what: string): Output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw new RequestValidationError(what, toIssues(result.error), { cause: result.error });
}

function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({ path: i.path.map((p) => String(p)).join('.'), message: i.message }));
}
