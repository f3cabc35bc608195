import type { SecretSet } from '../../http/index.js';
import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import { Policy, PolicyDeniedError } from '../../auth/index.js';
import type { Clock, Logger, Principal } from '../../core/index.js';
import type { GatewayConfig } from '../../config/index.js';
import type { CompiledTool } from '../tools/configured-tool.js';
import { errorResult } from '../tools/error-result.js';
import { type CallerContext, principalOf } from '../transport/auth-info.js';
import type { ToolExecute } from './call-tracker.js';
import { AuditLog, type AuditSink, toolUpstreams } from './audit-log.js';
import { operatorPrincipal } from './operator-principal.js';
import { type QuotaLease, type Quotas, quotasFor } from './quotas.js';

/**
 * What stands between a caller and a tool: who the caller is (the operator on stdio), whether the
 * policy lets them, and whether their quota does. Built once per config; `check` is the whole per-call cost (a memoized decision).
 */
export interface CallGuards {
  readonly operator: Principal;
  readonly policy: Policy | undefined;
  /** The caller of this request. */
  principal(ctx: CallerContext | undefined): Principal;
  /** The refusal for this caller and tool, or undefined when allowed. */
  check(ctx: ServerContext | undefined, toolName: string): PolicyDeniedError | undefined;
  /** The refusal of a read of resource `name` (through `viaTool`) for this caller, or undefined. */
  checkRead(
    ctx: CallerContext | undefined,
    name: string,
    viaTool: string | undefined,
  ): PolicyDeniedError | undefined;
  /** The audit stream of `audit`, when configured. */
  readonly audit: AuditLog | undefined;
  /** Each tool's upstream in this config, for its audit lines (the stream outlives a reload). */
  readonly upstreamOf: ReadonlyMap<string, string>;
  /** The `limits` quotas, when configured. */
  readonly quotas: Quotas | undefined;
  close(): Promise<void>;
}

export interface CallGuardDeps {
  clock: Clock;
  logger: Logger;
  /** Where audit lines go instead of `audit.destination` (tests). */
  auditSink?: AuditSink | undefined;
  /** The gateway's `${ENV}` values (a reload adds to them): the audit stream scrubs them. */
  secrets?: SecretSet | undefined;
  /** A reload keeps the running audit stream and quotas (their files, counters and Redis). */
  keep?: Pick<CallGuards, 'audit' | 'quotas'> | undefined;
}

export function callGuardsFor(config: GatewayConfig, deps: CallGuardDeps): CallGuards {
  const operator = operatorPrincipal(config.server?.operator);
  const policy = config.policy ? new Policy(config.policy) : undefined;
  const keep = deps.keep;
  const audit = keep
    ? keep.audit
    : config.audit
      ? new AuditLog(config.audit, config, () => deps.clock.now(), deps.auditSink, deps.secrets)
      : undefined;
  const quotas = keep ? keep.quotas : quotasFor(config, deps.clock, deps.logger);
  const principal = (ctx: CallerContext | undefined) => principalOf(ctx, operator);
  return {
    operator,
    policy,
    audit,
    upstreamOf: audit ? toolUpstreams(config) : new Map(),
    quotas,
    principal,
    async close() {
      await Promise.allSettled([audit?.close(), quotas?.close()]);
    },
    check(ctx, toolName) {
      if (!policy) return undefined;
      const who = principal(ctx);
      const d = policy.tool(who, toolName);
      return d.allowed ? undefined : new PolicyDeniedError('tool', toolName, who, d.neededScopes);
    },
    checkRead(ctx, name, viaTool) {
      if (!policy) return undefined;
      const who = principal(ctx);
      const d = policy.resource(who, name, viaTool);
      if (!d.allowed) return new PolicyDeniedError('resource', name, who, d.neededScopes);
      // A read runs its tool, so it needs the tool too: resource rules only narrow.
      const t = viaTool === undefined ? d : policy.tool(who, viaTool);
      return t.allowed ? undefined : new PolicyDeniedError('resource', name, who, t.neededScopes);
    },
  };
}

/**
 * A compiled tool's execute behind the guards: a refused call never reaches the tool, and every call
 * (refused ones too) is written to the audit stream when there is one.
 */
export function guardedExecute(tool: CompiledTool, guards: CallGuards): ToolExecute {
  const execute = tool.execute.bind(tool);
  const { audit, quotas } = guards;
  if (!guards.policy && !audit && !quotas) return execute;
  const guarded: ToolExecute = async (args, ctx, call): Promise<CallToolResult> => {
    const refused = guards.check(ctx, tool.name);
    if (refused) return errorResult(refused, '', tool.name);
    if (!quotas) return execute(args, ctx, call);
    let lease: QuotaLease;
    try {
      lease = await quotas.acquire(guards.principal(ctx), tool.name);
    } catch (err) {
      return errorResult(err, '', tool.name);
    }
    try {
      return await execute(args, ctx, call);
    } finally {
      // The answer waits for the slot to be free: a caller that calls again at once is admitted.
      await lease.release();
    }
  };
  if (!audit) return guarded;
  const upstream = guards.upstreamOf.get(tool.name);
  return async (args, ctx, call) => {
    const started = performance.now();
    const result = await guarded(args, ctx, call);
    const code = (result._meta?.['conduit/error'] as { code?: unknown } | undefined)?.code;
    const outcome = code === 'POLICY_DENIED' ? 'refused' : code === 'QUOTA_EXCEEDED' ? 'quota' : undefined;
    const durationMs = performance.now() - started;
    audit.record(tool.name, upstream, guards.principal(ctx), ctx, args, result, durationMs, outcome);
    return result;
  };
}
