import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

/** A JSON error answer of the demo upstream: `{ error: { code, message } }` with its status. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a route answers: a status, a JSON body (none for 204) and extra headers. */
export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** Writes an answer as JSON, unless the client already went away. */
export function writeAnswer(res: ServerResponse, a: Answer): void {
  if (res.destroyed) return;
  const text = a.body === undefined ? '' : JSON.stringify(a.body);
  res.writeHead(a.status, {
    ...(a.body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': String(Buffer.byteLength(text)),
    ...(a.headers ?? {}),
  });
  res.end(text);
}

/** The answer of a problem (any other error is a 500 that says nothing about it). */
export function problemAnswer(err: unknown, headers?: Record<string, string>): Answer {
  const p =
    err instanceof HttpProblem
      ? err
      : new HttpProblem(500, 'internal', 'internal error in the demo upstream');
  return {
    status: p.status,
    body: { error: { code: p.code, message: p.message } },
    ...(headers ? { headers } : {}),
  };
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** An integer query parameter within bounds, else a 400. */
export function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw new HttpProblem(400, 'invalid_query', `${name} must be an integer from ${min} to ${max}`);
  return n;
}

/** A JSON object body with only `allowed` keys (none: `{}`), else a 400 naming the others. */
export function objectBody(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpProblem(400, 'invalid_body', 'expected a JSON object');
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new HttpProblem(
      400,
      'invalid_body',
      `unknown field(s): ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`,
    );
  return body as Record<string, unknown>;
}

/** The request body as JSON (undefined when empty), bounded to 1 MiB. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpProblem(413, 'body_too_large', `bodies are limited to ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'invalid_json', 'the body is not valid JSON');
  }
}
