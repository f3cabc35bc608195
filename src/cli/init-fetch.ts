import { rm } from 'node:fs/promises';
import { ConfigError } from '../core/index.js';
import { DEFAULT_DOCUMENT_LIMITS, OpenApiError, OpenApiRefError } from '../config/index.js';
import { type SetAside, setAside, writeInitFile } from './init-write.js';

/**
 * Runs `use` on the document at `url`, fetched and saved next to `out`. When `use` fails, the copy
 * this run saved is removed, since the run that follows with the right URL or option would
 * otherwise be refused ("already exists"), and the error names the URL the user gave. With
 * `--force`, a copy saved by an earlier run is put back: the config written then may serve it.
 */
export async function withFetchedDocument<T>(
  url: string,
  out: string,
  force: boolean,
  use: (file: string) => Promise<T>,
  timeoutMs = FETCH_TIMEOUT_MS,
): Promise<T> {
  const { file, previous } = await fetchDocument(url, out, force, timeoutMs);
  try {
    const result = await use(file);
    await previous?.discard();
    return result;
  } catch (err) {
    await rm(file, { force: true });
    await previous?.restore();
    const what = previous ? `the previous ${file} was put back` : `${file} was removed`;
    if (err instanceof Error) err.message += ` (the document fetched from ${oneLine(url)}; ${what})`;
    throw err;
  }
}

/**
 * What to say when operations of a document fetched from `url` were skipped for `$ref`s to URLs,
 * which are never fetched (`$ref`s to files are refused before the document is used at all).
 */
export function remoteRefsHint(url: string, skipped: readonly Error[]): string | undefined {
  const files = new Set<string>();
  for (const err of skipped)
    if (err instanceof OpenApiRefError && err.code === 'OPENAPI_REF_UNRESOLVED' && !err.ref.startsWith('#'))
      files.add(err.ref.split('#')[0] ?? err.ref);
  if (files.size === 0) return undefined;
  const shown = [...files].slice(0, 3).map(oneLine).join(', ') + (files.size > 3 ? ', …' : '');
  return (
    `${oneLine(url)} refers to other files (${shown}), which init does not fetch: the operations that use them were ` +
    'skipped; to serve them, download the document with those files and pass --openapi <file>'
  );
}

/** How long the whole fetch (redirects, headers and body) may take. */
const FETCH_TIMEOUT_MS = 60_000;

/** Redirects `init` follows, each on the document's own origin. */
const MAX_REDIRECTS = 5;

/**
 * GET with redirects followed by hand: only to the same origin (scheme, host and port), so a document
 * URL cannot bounce `init` to another host (an internal address, a different API); at most 5.
 */
async function fetchSameOrigin(url: string, signal: AbortSignal): Promise<Response> {
  let at = new URL(url);
  for (let hop = 0; ; hop++) {
    const response = await fetch(at, { redirect: 'manual', signal });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || location === null) return response;
    await response.body?.cancel();
    const next = new URL(location, at);
    if (next.origin !== at.origin)
      throw new ConfigError(
        `cannot fetch ${oneLine(url)}: it redirects to another origin (${oneLine(next.origin)}); init follows redirects on the same origin only: pass the final URL, or download the document and pass the file`,
      );
    if (hop + 1 > MAX_REDIRECTS)
      throw new ConfigError(`cannot fetch ${oneLine(url)}: more than ${MAX_REDIRECTS} redirects`);
    at = next;
  }
}

/** Largest document `init` fetches (the default per-file cap of a document load). */
const MAX_FETCH_BYTES = DEFAULT_DOCUMENT_LIMITS.maxFileBytes;

/**
 * Fetches a document from an http(s) URL into a file next to `out` (`<out>.openapi.json|yaml`),
 * at most `MAX_FETCH_BYTES`; returns its path and, when `--force` replaced a file there, that
 * file kept aside until the run ends.
 */
async function fetchDocument(
  url: string,
  out: string,
  force: boolean,
  timeoutMs: number,
): Promise<{ file: string; previous: SetAside | undefined }> {
  const deadline = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetchSameOrigin(url, deadline);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (deadline.aborted) throw tooSlow(url, timeoutMs);
    // undici's own message is only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a TLS error) is its cause.
    const cause = (err as { cause?: unknown }).cause;
    const why = cause instanceof Error ? `: ${oneLine(cause.message)}` : '';
    throw new ConfigError(`cannot fetch ${oneLine(url)}: ${(err as Error).message}${why}`, { cause: err });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ConfigError(`cannot fetch ${oneLine(url)}: HTTP ${response.status}`);
  }
  const type = response.headers.get('content-type') ?? '';
  if (/html/i.test(type)) {
    await response.body?.cancel();
    throw htmlPage(url, type);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > MAX_FETCH_BYTES) {
    await response.body?.cancel();
    throw tooBig(url);
  }
  const text = await bodyText(response, url, deadline, timeoutMs);
  // Some servers label their pages text/plain or nothing: a document never starts with markup.
  if (/^\s*</.test(text)) throw htmlPage(url, type);
  const json = /json/i.test(type) || /^\s*\{/.test(text);
  const file = `${out.replace(/\.(ya?ml|json)$/i, '')}.openapi.${json ? 'json' : 'yaml'}`;
  const previous = force ? await setAside(file) : undefined;
  try {
    await writeInitFile(file, text, force);
  } catch (err) {
    await previous?.restore();
    throw err;
  }
  return { file, previous };
}

/** What a URL that answers a web page (a sign-in page, an API's documentation site) gets: nothing is saved. */
function htmlPage(url: string, type: string): OpenApiError {
  return new OpenApiError(
    'OPENAPI_DOCUMENT_INVALID',
    `${oneLine(url)} answered an HTML page (content-type ${type === '' ? 'none' : oneLine(type)}), not an OpenAPI document ` +
      "(a sign-in page, or the API's documentation site?); pass the URL of the document itself (its .json or .yaml), " +
      'or download it and pass the file; nothing was written',
  );
}

/** The body as text, at most `MAX_FETCH_BYTES`, read before `deadline`. */
async function bodyText(response: Response, url: string, deadline: AbortSignal, timeoutMs: number) {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body ?? []) {
      total += chunk.byteLength;
      if (total > MAX_FETCH_BYTES) throw tooBig(url);
      chunks.push(chunk);
    }
  } catch (err) {
    if (deadline.aborted && !(err instanceof OpenApiError)) throw tooSlow(url, timeoutMs);
    throw err;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooSlow(url: string, timeoutMs: number): ConfigError {
  return new ConfigError(
    `cannot fetch ${oneLine(url)}: no complete answer within ${timeoutMs / 1000} s; check that the URL is right and its server reachable from this machine, or download the document and pass --openapi <file>`,
  );
}

function tooBig(url: string): OpenApiError {
  return new OpenApiError(
    'OPENAPI_BUDGET_EXCEEDED',
    `${oneLine(url)} is larger than ${MAX_FETCH_BYTES / (1024 * 1024)} MiB; download it and point --openapi at the file`,
  );
}

/** Text from the command line or the document, as one line without control characters (no terminal escapes). */
function oneLine(text: string): string {
  return text.replace(/\p{Cc}+/gu, ' ').slice(0, 200);
}
