import type { GatewayConfig } from '../../config/index.js';

/** A changed key that only a restart applies. */
export interface RestartNeeded {
  /** The dotted key that changed, e.g. `server.http.port`. */
  readonly key: string;
  readonly message: string;
}

/**
 * The sections a running gateway cannot swap: the listeners and transport (sockets are bound), the
 * cache and its Redis (the cache, its connections and the breaker state are kept across a reload),
 * metrics, traces and logging (built once per process), webhooks (the receiver is mounted on the
 * listener), the probes (`server.health`, served on the listener), audit and quotas (their streams and counters are kept), resources (registered on each
 * session at connect). `server.reload` itself and `server.operator` are read at each reload.
 */
export const RESTART_ONLY_KEYS = [
  'server.name',
  'server.version',
  'server.http',
  'server.listener',
  'server.shutdownTimeout',
  'server.health',
  'logging',
  'cache',
  'metrics',
  'telemetry',
  'webhooks',
  'audit',
  'limits',
  'resources',
] as const;

/** The value at a dotted key (undefined when a section on the way is absent). */
function at(config: unknown, key: string): unknown {
  let v: unknown = config;
  for (const part of key.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
  return v;
}

/** Deterministic JSON (object keys sorted) for comparing config values. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** The first leaf key below `key` whose value differs, so the message names what to put back. */
function differingLeaf(a: unknown, b: unknown, key: string): string {
  const objA = a && typeof a === 'object' && !Array.isArray(a);
  const objB = b && typeof b === 'object' && !Array.isArray(b);
  if (!objA || !objB) return key;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort())
    if (stableJson(ra[k]) !== stableJson(rb[k])) return differingLeaf(ra[k], rb[k], `${key}.${k}`);
  return key;
}

/** Every restart-only key whose value differs between the running config and the new one. */
export function restartOnlyChanges(running: GatewayConfig, next: GatewayConfig): RestartNeeded[] {
  const out: RestartNeeded[] = [];
  for (const section of RESTART_ONLY_KEYS) {
    const a = at(running, section);
    const b = at(next, section);
    if (stableJson(a) === stableJson(b)) continue;
    const key = differingLeaf(a, b, section);
    out.push({
      key,
      message: `${key} changed: a reload cannot apply it; restart the gateway to use it (the running config stays in force)`,
    });
  }
  return out;
}

/** How the upstreams of two configs relate, by name. */
export interface UpstreamDiff {
  /** Same settings (secrets included): the running client, breaker and credential are kept. */
  readonly kept: readonly string[];
  /** Changed settings: a new client; the old one closes once its calls finish. */
  readonly changed: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/**
 * What an upstream's HTTP client, breaker and credential are made from: its settings without
 * `openapi`, which only says which tools the document makes (the tool diff sees those).
 */
function clientSettingsOf(upstream: GatewayConfig['upstreams'][string]): string {
  const { openapi: _tools, ...settings } = upstream;
  return stableJson(settings);
}

export function diffUpstreams(running: GatewayConfig, next: GatewayConfig): UpstreamDiff {
  const kept: string[] = [];
  const changed: string[] = [];
  const added: string[] = [];
  for (const [name, upstream] of Object.entries(next.upstreams)) {
    const old = running.upstreams[name];
    if (old === undefined) added.push(name);
    else if (clientSettingsOf(old) === clientSettingsOf(upstream)) kept.push(name);
    else changed.push(name);
  }
  const removed = Object.keys(running.upstreams).filter((name) => !(name in next.upstreams));
  return { kept, changed, added, removed };
}

/** Which tools a reload adds, removes and changes (their definition, request or upstream). */
export interface ToolDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

/** Tool name to a signature of everything that makes it behave: its listed definition and settings. */
export type ToolSignatures = ReadonlyMap<string, string>;

export function diffTools(running: ToolSignatures, next: ToolSignatures): ToolDiff {
  const added: string[] = [];
  const changed: string[] = [];
  for (const [name, sig] of next) {
    const old = running.get(name);
    if (old === undefined) added.push(name);
    else if (old !== sig) changed.push(name);
  }
  const removed = [...running.keys()].filter((name) => !next.has(name));
  return { added, removed, changed };
}
