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
    /** The redacted URL, or what builds it on first read (most answers never need it). */
    private urlOf: UrlSource,
    /** How many attempts it took (1 when the first one succeeded). */
    readonly attempts: number,
    /** The body already parsed as JSON by the client (`expectJson`); NOT_PARSED otherwise. */
    private readonly parsed: unknown = NOT_PARSED,
    /** Deepest nesting `json()` accepts (the call's `maxResponseDepth`). */
    readonly maxDepth: number = DEFAULT_MAX_RESPONSE_DEPTH,
    /** The body decoded already (when the client parsed it), so `text()` does not decode it again. */
    private decoded: string | undefined = undefined,
    /** What a `ResponseTooDeepError` hint tells the reader to raise (the client's `settingNames`). */
    private readonly depthSetting?: string,
  ) {}

  /** Full URL with secret query parameters redacted. */
  get url(): string {
    if (typeof this.urlOf !== 'string') this.urlOf = this.urlOf.logUrl;
    return this.urlOf;
  }

  /** True when the client parsed the body as JSON already (so `json()` costs no parse). */
  get parsedJson(): boolean {
    return this.parsed !== NOT_PARSED;
  }

  /** The body decoded as UTF-8. */
  text(): string {
    if (this.decoded === undefined) this.decoded = this.body.toString('utf8');
    return this.decoded;
  }

  /**
   * The body parsed as JSON; `InvalidJsonError` if it is not JSON, `ResponseTooDeepError` if it nests
   * deeper than `maxDepth`. Validates when given a zod schema.
   */
  json<T = unknown>(): T;
  json<S extends Schema>(schema: S): import('./json.js').Output<S>;
  json(schema?: Schema): unknown {
    let data: unknown = this.parsed;
    if (data === NOT_PARSED)
      data = parseJsonText(this.text(), this.method, this.urlOf, this.maxDepth, this.depthSetting);
    return schema ? validate(schema, data, this.method, this.url) : data;
  }

  /**
   * `text` (a rewritten copy of the body, e.g. with secrets redacted) parsed as JSON under the same
   * checks as `json()`: `InvalidJsonError`, `ResponseTooDeepError`.
   */
  parseJson(text: string): unknown {
    return parseJsonText(text, this.method, this.urlOf, this.maxDepth, this.depthSetting);
  }
}

/** @internal `text` as JSON; `InvalidJsonError` when it does not parse, `ResponseTooDeepError` past `maxDepth`. */
export function parseJsonText(
  text: string,
  method: string,
  url: UrlSource,
  maxDepth: number,
  depthSetting?: string,
): unknown {
  let value: unknown;
  try {
    // JSON.parse itself does not recurse on the stack; what runs on its result does.
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidJsonError(method, urlText(url), err);
  }
  if (nestedDeeperThan(value, maxDepth))
    throw new ResponseTooDeepError(method, urlText(url), maxDepth, depthSetting);
  return value;
}

/** A redacted URL, or what builds it when an error first needs it. */
type UrlSource = string | { readonly logUrl: string };

function urlText(url: UrlSource): string {
  return typeof url === 'string' ? url : url.logUrl;
}
