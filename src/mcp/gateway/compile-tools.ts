import { type Clock, ConfigError, type Logger } from '../../core/index.js';
import {
  configSecrets,
  type GatewayConfig,
  reservedRequestNames,
  type ToolConfig,
} from '../../config/index.js';
import type { HttpClient } from '../../http/index.js';
import type { GatewayMetrics } from '../../metrics/index.js';
import type { UpstreamCredential } from '../../credentials/index.js';
import type { GatewayCache } from '../tools/cache-port.js';
import { type CompiledTool, compileTool } from '../tools/configured-tool.js';
import { InFlightGate, type InFlightLimits, inFlightLimits } from '../tools/in-flight-gate.js';
import type { InputValidator } from '../tools/input-validator.js';
import { compactModeTools } from '../tools/openapi-compact.js';
import { signedStates } from '../tools/state-keys.js';
import type { CallGuards } from './call-guards.js';
import type { Tracer } from '../../telemetry/index.js';
import { answerVersion } from './answer-version.js';

type OpenApiSet = NonNullable<GatewayConfig['openapiSets']>[string];

/** The `openapi` sections served in compact mode (one search tool and one invoke tool each). */
export function compactSetsOf(config: GatewayConfig): OpenApiSet[] {
  return Object.values(config.openapiSets ?? {}).filter((set) => set.compact);
}

/** Whether any tool (configured or behind a compact set) reads or clears the cache. */
export function toolsNeedCache(config: GatewayConfig): boolean {
  return (
    config.tools.some((t) => t.cache || t.invalidates) ||
    compactSetsOf(config).some((set) =>
      set.catalog.operations.some((o) => o.tool.cache || o.tool.invalidates),
    )
  );
}

/** What compiling the tools of a config needs. */
export interface ToolCompileDeps {
  clients: ReadonlyMap<string, HttpClient>;
  cache: GatewayCache | undefined;
  validator: InputValidator;
  clock: Clock;
  logger: Logger;
  progressIntervalMs: number;
  metrics: GatewayMetrics | undefined;
  /** The caller's principal and the policy (compact mode's invoke and search honour it). */
  guards: CallGuards;
  /** Token grants and forwarding by upstream name: sent as `Authorization` per call. */
  credentials?: ReadonlyMap<string, UpstreamCredential> | undefined;
  /** Traces: each tool's cache lookup in a span of its own. */
  tracer?: Tracer | undefined;
  /** The in-flight gate of each upstream (default: new ones sized by {@link inFlightNeeds}). */
  gates?: ReadonlyMap<string, InFlightGate> | undefined;
}

/** Every tool of a config, compiled once: the configured tools, then each compact set's pair. */
export function compileGatewayTools(config: GatewayConfig, deps: ToolCompileDeps): CompiledTool[] {
  const compactSets = compactSetsOf(config);
  const gates = deps.gates ?? newGates(config);
  const operator = deps.guards.operator;
  // A hand-built config may leave out `server`.
  const signed = signedStates(config.server?.stateKey);
  const secrets = configSecrets(config);
  const listing = config.server?.toolListing ?? 'compact';
  const compile = (tool: ToolConfig): CompiledTool => {
    const client = deps.clients.get(tool.upstream);
    if (!client) throw new ConfigError(`no HTTP client for upstream "${tool.upstream}"`);
    return compileTool(tool, {
      client,
      upstreamName: tool.upstream,
      cache: deps.cache,
      validator: deps.validator,
      clock: deps.clock,
      logger: deps.logger,
      progressIntervalMs: deps.progressIntervalMs,
      series: deps.metrics?.tool(tool.name, tool.upstream),
      reserved: reservedRequestNames(config.upstreams[tool.upstream]),
      maxResponseBytes: config.upstreams[tool.upstream]?.maxResponseBytes,
      gate: gates.get(tool.upstream),
      operator,
      openToAll: deps.guards.policy?.openToAll('tools', tool.name) ?? true,
      credential: deps.credentials?.get(tool.upstream),
      tracer: deps.tracer,
      cursors: signed.cursors,
      confirmations: signed.confirmations,
      answerVersion: () => answerVersion(tool, config, secrets),
      listing,
    });
  };
  const compiled = config.tools.map(compile);
  for (const set of compactSets) {
    const client = deps.clients.get(set.upstream);
    compiled.push(
      ...compactModeTools(
        set,
        deps.validator,
        compile,
        deps.guards.policy ? deps.guards : undefined,
        (text) => client?.redactSecrets(text) ?? text,
        listing,
      ),
    );
  }
  return compiled;
}

/** What an upstream's in-flight gate is sized by: its `inFlight` limits and the tools that use it. */
export interface GateNeeds {
  readonly limits: InFlightLimits;
  readonly toolCount: number;
}

/** The {@link GateNeeds} of each upstream of a config. */
export function inFlightNeeds(config: GatewayConfig): Map<string, GateNeeds> {
  const compactSets = compactSetsOf(config);
  const tools = [...config.tools, ...compactSets.flatMap((set) => set.catalog.operations.map((o) => o.tool))];
  const needs = new Map<string, GateNeeds>();
  for (const [name, upstream] of Object.entries(config.upstreams)) {
    const count = tools.filter((t) => t.upstream === name).length;
    needs.set(name, { limits: inFlightLimits(upstream.inFlight), toolCount: Math.max(1, count) });
  }
  return needs;
}

function newGates(config: GatewayConfig): Map<string, InFlightGate> {
  const gates = new Map<string, InFlightGate>();
  for (const [name, n] of inFlightNeeds(config)) gates.set(name, new InFlightGate(n.limits, n.toolCount));
  return gates;
}
