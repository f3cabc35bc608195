import type { IncomingHttpHeaders } from 'node:http';
import { InvalidJsonError } from './errors.js';
import { type Schema, validate } from './json.js';

/**
 * A complete, buffered response (the body was read within `maxResponseBytes`). Methods parse lazily:
 * nothing is decoded until asked.
 */
export class HttpResponse {
  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    readonly body: Buffer,
    readonly method: string,
    /** Full URL with secret query parameters redacted. */
    readonly url: string,
    /** How many attempts it took (1 when the first one succeeded). */
    readonly attempts: number,
  ) {}

  /** The body decoded as UTF-8. */
  text(): string {
    return this.body.toString('utf8');
  }

  /** The body parsed as JSON; `InvalidJsonError` if it is not JSON. Validates when given a zod schema. */
  json<T = unknown>(): T;
  json<S extends Schema>(schema: S): import('./json.js').Output<S>;
  json(schema?: Schema): unknown {
    let data: unknown;
    try {
      data = JSON.parse(this.body.toString('utf8'));
    } catch (err) {
      throw new InvalidJsonError(this.method, this.url, err);
    }
    return schema ? validate(schema, data, this.method, this.url) : data;
  }
}
