import type { IncomingHttpHeaders } from 'node:http';
import { InvalidJsonError } from './errors.js';
import { type Schema, validate } from './json.js';

const NOT_PARSED: unique symbol = Symbol('not parsed');

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
    /** The body already parsed as JSON by the client (`expectJson`); NOT_PARSED otherwise. */
    private readonly parsed: unknown = NOT_PARSED,
  ) {}

  /** True when the client parsed the body as JSON already (so `json()` costs no parse). */
  get parsedJson(): boolean {
    return this.parsed !== NOT_PARSED;
  }

  /** The body decoded as UTF-8. */
  text(): string {
    return this.body.toString('utf8');
  }

  /** The body parsed as JSON; `InvalidJsonError` if it is not JSON. Validates when given a zod schema. */
  json<T = unknown>(): T;
  json<S extends Schema>(schema: S): import('./json.js').Output<S>;
  json(schema?: Schema): unknown {
    let data: unknown = this.parsed;
    if (data === NOT_PARSED) data = parseJsonBody(this.body, this.method, this.url);
    return schema ? validate(schema, data, this.method, this.url) : data;
  }
}

/** @internal The body as JSON; `InvalidJsonError` when it does not parse. */
export function parseJsonBody(body: Buffer, method: string, url: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvalidJsonError(method, url, err);
  }
}
