import { createWriteStream, type WriteStream } from 'node:fs';
import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import type { AuditSectionConfig, GatewayConfig } from '../../config/index.js';
import { REDACTED, Redactor, type SecretSet, scrubJsonLine } from '../../http/index.js';
import type { Principal } from '../../core/index.js';
import { gatewaySecrets } from './credential-secrets.js';

/** Where audit lines go; one JSON object per line. */
export interface AuditSink {
  write(line: string): void;
  close(): Promise<void>;
}

/** `refused`: the policy said no; `quota`: a limit did; `error`: the call failed (see `code`). */
export type AuditOutcome = 'ok' | 'error' | 'refused' | 'quota';

/** One audit line. */
export interface AuditRecord {
  time: string;
  requestId: string | number | undefined;
  session: string | undefined;
  principal: { id: string; sub: string | undefined; client: string | undefined };
  tool: string;
  upstream: string | undefined;
  outcome: AuditOutcome;
  code?: string;
  status?: number;
  durationMs: number;
  /** `upstream`, or the cache layer that answered (`l1`, `l2`). */
  cache?: string;
  arguments?: Record<string, unknown>;
}

/** Argument names whose values are never written, whatever the allow-list says. */
const SECRET_NAME = /(pass(word)?|secret|token|authorization|api[-_]?key|credential)/i;

function sinkFor(config: AuditSectionConfig): AuditSink {
  if (config.destination === 'file') {
    const stream: WriteStream = createWriteStream(config.path!, { flags: 'a' });
    return {
      write: (line) => void stream.write(line),
      close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
    };
  }
  const out = config.destination === 'stdout' ? process.stdout : process.stderr;
  return { write: (line) => void out.write(line), close: async () => {} };
}

/** Each tool's upstream in `gateway`, the compact mode's search and invoke tools included. */
export function toolUpstreams(gateway: GatewayConfig): ReadonlyMap<string, string> {
  const upstreams = new Map<string, string>(gateway.tools.map((t) => [t.name, t.upstream]));
  for (const set of Object.values(gateway.openapiSets ?? {}))
    if (set.compact) {
      upstreams.set(set.compact.search.name, set.upstream);
      upstreams.set(set.compact.invoke.name, set.upstream);
    }
  return upstreams;
}

/**
 * The audit stream of `audit`: what each tool call was, for whom, and how it ended. Written apart
 * from the debug log; arguments only when allow-listed for the tool, secrets redacted.
 */
export class AuditLog {
  readonly destination: AuditSectionConfig['destination'];
  private readonly sink: AuditSink;
  private readonly redactor: Redactor;

  constructor(
    private readonly config: AuditSectionConfig,
    gateway: GatewayConfig,
    private readonly now: () => number,
    sink?: AuditSink,
    /** The gateway's secrets, added to by each reload (default: this config's only). */
    secrets?: SecretSet,
  ) {
    this.destination = config.destination;
    this.sink = sink ?? sinkFor(config);
    this.redactor = new Redactor([], [], secrets ? [] : gatewaySecrets(gateway), secrets);
  }

  /**
   * Records one finished call. `upstream` is the tool's in the config the call ran on (a reload may
   * add tools or move one). `outcome` defaults from the result (`ok` or `error`).
   */
  record(
    tool: string,
    upstream: string | undefined,
    who: Principal,
    ctx: ServerContext | undefined,
    args: Record<string, unknown>,
    result: CallToolResult,
    durationMs: number,
    outcome?: AuditOutcome,
  ): void {
    const meta = (result._meta ?? {}) as Record<string, Record<string, unknown> | undefined>;
    const error = meta['conduit/error'];
    const cache = meta['conduit/cache'];
    const entry: AuditRecord = {
      time: new Date(this.now()).toISOString(),
      requestId: ctx?.mcpReq?.id,
      session: ctx?.sessionId,
      principal: { id: who.id, sub: who.sub, client: who.clientId },
      tool,
      upstream,
      outcome: outcome ?? (result.isError ? 'error' : 'ok'),
      durationMs: Math.round(durationMs * 1000) / 1000,
    };
    if (typeof error?.code === 'string') entry.code = error.code;
    if (typeof error?.status === 'number') entry.status = error.status;
    if (cache) entry.cache = String(cache.layer ?? cache.source);
    const allowed = this.config.arguments[tool];
    if (allowed?.length) entry.arguments = this.pick(args, allowed);
    // Scrubbed inside its strings: a secret that is also JSON's own text (a `1000`) keeps the line JSON.
    this.sink.write(`${scrubJsonLine(JSON.stringify(entry), this.redactor)}\n`);
  }

  close(): Promise<void> {
    return this.sink.close();
  }

  private pick(args: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of names)
      if (Object.hasOwn(args, name)) out[name] = SECRET_NAME.test(name) ? REDACTED : args[name];
    return out;
  }
}
