import type { IncomingHttpHeaders } from 'node:http';
import { nestedDeeperThan } from '../core/index.js';
import { InvalidJsonError, ResponseTooDeepError } from './errors.js';
import { type Schema, validate } from './json.js';

const NOT_PARSED: unique symbol = Symbol('not parsed');

/** Deepest nesting of a response's JSON accepted by default (`maxResponseDepth`). */
export const DEFAULT_MAX_RESPONSE_DEPTH = 256;

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
    /** Deepest nesting `json()` accepts (the call's `maxResponseDepth`). */
    readonly maxDepth: number = DEFAULT_MAX_RESPONSE_DEPTH,
  ) {}

  /** True when the client parsed the body as JSON already (so `json()` costs no parse). */
  get parsedJson(): boolean {
    return this.parsed !== NOT_PARSED;
  }

  /** The body decoded as UTF-8. */
  text(): string {
    return this.body.toString('utf8');
  }

  /**
   * The body parsed as JSON; `InvalidJsonError` if it is not JSON, `ResponseTooDeepError` if it nests
   * deeper than `maxDepth`. Validates when given a zod schema.
   */
  json<T = unknown>(): T;
  json<S extends Schema>(schema: S): import('./json.js').Output<S>;
  json(schema?: Schema): unknown {
    let data: unknown = this.parsed;
    if (data === NOT_PARSED) data = parseJsonText(this.text(), this.method, this.url, this.maxDepth);
    return schema ? validate(schema, data, this.method, this.url) : data;
  }

  /**
   * `text` (a rewritten copy of the body, e.g. with secrets redacted) parsed as JSON under the same
   * checks as `json()`: `InvalidJsonError`, `ResponseTooDeepError`.
   */
  parseJson(text: string): unknown {
    return parseJsonText(text, this.method, this.url, this.maxDepth);
  }
}

/** @internal The body as JSON; `InvalidJsonError` when it does not parse, `ResponseTooDeepError` past `maxDepth`. */
export function parseJsonBody(body: Buffer, method: string, url: string, maxDepth: number): unknown {
  return parseJsonText(body.toString('utf8'), method, url, maxDepth);
}

function parseJsonText(text: string, method: string, url: string, maxDepth: number): unknown {
  let value: unknown;
  try {
    // JSON.parse itself does not recurse on the stack; what runs on its result does.
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidJsonError(method, url, err);
  }
  if (nestedDeeperThan(value, maxDepth)) throw new ResponseTooDeepError(method, url, maxDepth);
  return value;
}
