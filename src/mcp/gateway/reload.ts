import { ConfigError, errorForLog, type Logger } from '../../core/index.js';
import type { GatewayConfig } from '../../config/index.js';
import { gatewaySecrets } from './credential-secrets.js';
import { checkGatewayConfig } from './check-gateway-config.js';
import { withoutSecrets } from './failure-secrets.js';
import { toolsNeedCache } from './compile-tools.js';
import {
  diffTools,
  restartOnlyChanges,
  stableJson,
  type ToolDiff,
  type ToolSignatures,
  type UpstreamDiff,
} from './config-diff.js';
import type { GatewayParts } from './gateway-parts.js';
import { type GatewayRuntime, putInForce } from './gateway-runtime.js';
import type { LiveTools } from './live-servers.js';
import { buildNextRuntime } from './runtime-swap.js';

/**
 * How a reload ended: `applied` (the new config is in force), `unchanged` (nothing to do), `invalid`
 * (the file failed validation), `refused` (a key only a restart applies changed, or the new config
 * does not fit the running gateway), `failed` (building the new runtime threw).
 */
export type ReloadOutcome = 'applied' | 'unchanged' | 'invalid' | 'refused' | 'failed';

/** One reason a reload kept the running config, placed at its key and line when known. */
export interface ReloadProblem {
  readonly path: string;
  readonly line?: number | undefined;
  readonly column?: number | undefined;
  readonly message: string;
}

/** What a reload did. */
export interface ReloadReport {
  readonly outcome: ReloadOutcome;
  readonly problems: readonly ReloadProblem[];
  readonly tools: ToolDiff;
  readonly upstreams?: UpstreamDiff;
  /**
   * Applied: resolves once the calls that ran on the old config (and on configs before it still
   * retiring) finished and its retired upstream clients and credentials are closed. Never rejects.
   */
  readonly retired?: Promise<void>;
}

const NO_TOOLS: ToolDiff = { added: [], removed: [], changed: [] };

/** What a reload works on: the gateway's lasting parts, its sessions, and the runtime in force. */
export interface ReloadTarget {
  readonly parts: GatewayParts;
  readonly live: LiveTools;
  current(): GatewayRuntime;
  /** Makes the runtime current (the gateway face reads it from now on). */
  commit(runtime: GatewayRuntime): void;
  /** Remembers a retirement in progress, so closing the gateway waits for it. */
  retiring(done: Promise<void>): void;
  /** Resolves once every retirement in progress now is done; never rejects. */
  retired(): Promise<void>;
  /** The gateway is closed or closing: reloads are refused. */
  closed(): boolean;
}

/** Each tool's listed definition and settings, to tell which tools a reload changes. */
export function toolSignatures(runtime: GatewayRuntime): ToolSignatures {
  const configs = new Map(runtime.config.tools.map((t) => [t.name, t]));
  const jsonOf = (s: unknown) =>
    (s as { '~standard'?: { jsonSchema?: { input(o: object): unknown } } } | undefined)?.[
      '~standard'
    ]?.jsonSchema?.input({ target: 'draft-2020-12' });
  return new Map(
    runtime.tools.map(({ tool }) => {
      const { inputSchema, outputSchema, ...listed } = tool.config;
      const definition = { ...listed, input: jsonOf(inputSchema), output: jsonOf(outputSchema) };
      return [tool.name, stableJson({ definition, settings: configs.get(tool.name) })];
    }),
  );
}

/** The config a reload compares: everything but `server.reload` (read by the trigger, not the gateway). */
function comparable(config: GatewayConfig): string {
  const { reload: _reload, ...server } = (config.server ?? {}) as Record<string, unknown>;
  return stableJson({ ...config, server });
}

/** Why `next` cannot replace the running config without a restart (empty: it can). */
function refusals(target: ReloadTarget, running: GatewayConfig, next: GatewayConfig): ReloadProblem[] {
  const problems: ReloadProblem[] = restartOnlyChanges(running, next).map((r) => ({
    path: r.key,
    message: r.message,
  }));
  if (!target.parts.cache && toolsNeedCache(next))
    problems.push({
      path: 'tools',
      message:
        'the new config gives a tool a cache (or invalidates) policy, but the gateway started without a cache (no tool had one); restart the gateway to use it (the running config stays in force)',
    });
  try {
    checkGatewayConfig(next);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push({ path: '', message: err.message });
  }
  return problems;
}

/**
 * Replaces the running config with `next` (already parsed and validated): refused when a
 * restart-only key changed; otherwise the new runtime is built beside the running one and swapped in
 * at once. Calls in flight finish on the old runtime, whose retired clients and credentials close
 * once they are done; connected sessions are told the tool list changed.
 */
export async function reloadGateway(target: ReloadTarget, next: GatewayConfig): Promise<ReloadReport> {
  if (target.closed())
    return refused([{ path: '', message: 'the gateway is shutting down; the reload was not applied' }]);
  const running = target.current();
  if (comparable(running.config) === comparable(next))
    return { outcome: 'unchanged', problems: [], tools: NO_TOOLS };
  const problems = refusals(target, running.config, next);
  if (problems.length > 0) return refused(problems);
  // Before anything of the new config runs: every client, kept ones too, scrubs its secrets.
  target.parts.secrets.add(gatewaySecrets(next));
  let built: Awaited<ReturnType<typeof buildNextRuntime>>;
  let retargetResources: () => void;
  try {
    retargetResources = running.resources.prepare(next);
    built = await buildNextRuntime(running, next, target.parts);
  } catch (err) {
    // A failure may quote the new config (a TLS file path): its secrets were just added to the set.
    withoutSecrets(err, target.parts.secrets.values);
    target.parts.logger.warn({ err: errorForLog(err) }, 'reload: the new config could not be built');
    const message = err instanceof Error ? err.message : String(err);
    return { outcome: 'failed', problems: [{ path: '', message }], tools: NO_TOOLS };
  }
  if (target.closed()) {
    await built.discard();
    return refused([{ path: '', message: 'the gateway is shutting down; the reload was not applied' }]);
  }
  const tools = diffTools(toolSignatures(running), toolSignatures(built.runtime));
  // The swap: synchronous, so no call starts between the handlers and the sessions changing.
  putInForce(target.parts, built.runtime);
  retargetResources();
  target.commit(built.runtime);
  // The gauge follows the upstreams in force: a removed one leaves it, a kept one stays tracked.
  running.observers.untrackBreakers();
  for (const name of built.upstreams.removed) target.parts.metrics?.forgetBreaker(name);
  target.live.swap(built.runtime.tools, tools);
  // Clients and credentials this runtime kept may serve calls of an older one still retiring.
  const retired = built.retire(target.retired());
  target.retiring(retired);
  return { outcome: 'applied', problems: [], tools, upstreams: built.upstreams, retired };
}

function refused(problems: ReloadProblem[]): ReloadReport {
  return { outcome: 'refused', problems, tools: NO_TOOLS };
}

/** Logs a reload's outcome: what changed when applied, each problem (with its line) when not. */
export function logReload(logger: Logger, report: ReloadReport, trigger: string): void {
  const { outcome } = report;
  if (outcome === 'applied') {
    const u = report.upstreams;
    logger.info(
      {
        event: 'config.reload',
        outcome,
        trigger,
        toolsAdded: report.tools.added,
        toolsRemoved: report.tools.removed,
        toolsChanged: report.tools.changed,
        ...(u ? { upstreamsAdded: u.added, upstreamsRemoved: u.removed, upstreamsChanged: u.changed } : {}),
      },
      'config reloaded',
    );
    return;
  }
  if (outcome === 'unchanged') {
    logger.info({ event: 'config.reload', outcome, trigger }, 'config reload: nothing changed');
    return;
  }
  for (const p of report.problems)
    logger.error(
      {
        event: 'config.reload.problem',
        outcome,
        trigger,
        path: p.path,
        ...(p.line !== undefined ? { line: p.line, column: p.column ?? 1 } : {}),
      },
      `config reload: ${p.message}`,
    );
  logger.warn(
    { event: 'config.reload', outcome, trigger, problems: report.problems.length },
    'config reload refused: the running config stays in force',
  );
}
