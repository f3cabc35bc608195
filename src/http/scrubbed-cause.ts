/** Fields of Node's and undici's errors worth keeping on a copy (codes, and where it failed). */
type ErrorFields = Error & {
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  hostname?: unknown;
  host?: unknown;
};

/** Deepest cause followed; a longer chain ends in its last scrubbed link. */
const MAX_DEPTH = 8;

/**
 * `err` as the cause of a client error, with no secret left anywhere in its chain: a DNS or TLS
 * failure quotes the host, and a host built from a `${ENV}` value would show it to whoever logs
 * the chain (pino's error serializer appends every cause's message and stack). The error itself
 * when `scrub` changes nothing in it; else a copy with its name, code, errno and syscall, and its
 * message, stack, host name and cause scrubbed.
 */
export function scrubbedCause(err: unknown, scrub: (text: string) => string, depth = 0): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as ErrorFields;
  const message = scrub(e.message);
  const stack = e.stack === undefined ? undefined : scrub(e.stack);
  const hostname = typeof e.hostname === 'string' ? scrub(e.hostname) : e.hostname;
  const host = typeof e.host === 'string' ? scrub(e.host) : e.host;
  const cause = depth < MAX_DEPTH ? scrubbedCause(e.cause, scrub, depth + 1) : undefined;
  if (
    message === e.message &&
    stack === e.stack &&
    hostname === e.hostname &&
    host === e.host &&
    cause === e.cause
  )
    return err;
  const copy = new Error(message, cause === undefined ? undefined : { cause }) as ErrorFields;
  copy.name = e.name;
  copy.stack = stack;
  for (const key of ['code', 'errno', 'syscall'] as const) if (e[key] !== undefined) copy[key] = e[key];
  if (hostname !== undefined) copy.hostname = hostname;
  if (host !== undefined) copy.host = host;
  return copy;
}
