import { errorForLog } from '../../core/index.js';
import type { GatewayConfig } from '../../config/index.js';
import type { HttpClient } from '../../http/index.js';
import type { UpstreamCredential } from '../../credentials/index.js';
import { diffUpstreams, type UpstreamDiff } from './config-diff.js';
import type { GatewayParts } from './gateway-parts.js';
import { assembleRuntime, clientsFor, credentialsFor, type GatewayRuntime } from './gateway-runtime.js';
import { upstreamClientsReady } from './upstream-clients.js';
import type { UpstreamCredentials } from './upstream-credentials.js';

/** A runtime built for a new config, and what it leaves of the running one to close. */
export interface NextRuntime {
  readonly runtime: GatewayRuntime;
  readonly upstreams: UpstreamDiff;
  /**
   * Closes the running runtime's clients and credentials the new one does not keep, once its calls
   * and the retirements `earlier` (of older runtimes, whose calls may use the same ones) are done.
   */
  retire(earlier: Promise<void>): Promise<void>;
  /** Closes what was built for the new runtime (the reload was abandoned). */
  discard(): Promise<void>;
}

/** The subset of a record with these keys. */
function pick<T>(record: Readonly<Record<string, T>>, keys: readonly string[]): Record<string, T> {
  return Object.fromEntries(keys.map((k) => [k, record[k] as T]));
}

/**
 * Builds the runtime of `next` beside the running one: upstreams whose settings are unchanged keep
 * their client (pool, breaker state, shared-breaker connections) and credential (its token and
 * refresh timer); changed and added upstreams get new ones. The audit stream, quotas, resources and
 * webhook receiver are carried over.
 */
export async function buildNextRuntime(
  running: GatewayRuntime,
  next: GatewayConfig,
  parts: GatewayParts,
): Promise<NextRuntime> {
  const upstreams = diffUpstreams(running.config, next);
  const fresh = [...upstreams.changed, ...upstreams.added];
  const freshClients = clientsFor({ ...next, upstreams: pick(next.upstreams, fresh) }, parts);
  let freshCredentials: UpstreamCredentials | undefined;
  const discardFresh = async () => {
    await Promise.allSettled([...freshClients.values()].map((c) => c.close()));
    await freshCredentials?.close();
  };
  try {
    freshCredentials = credentialsFor(next, pick(next.upstreams, fresh), parts);
    const clients = new Map<string, HttpClient>();
    const byUpstream = new Map<string, UpstreamCredential>();
    for (const name of Object.keys(next.upstreams)) {
      const kept = upstreams.kept.includes(name);
      clients.set(name, (kept ? running.clients.get(name) : freshClients.get(name)) as HttpClient);
      const credential = kept
        ? running.credentials.byUpstream.get(name)
        : freshCredentials.byUpstream.get(name);
      if (credential) byUpstream.set(name, credential);
    }
    const credentials: UpstreamCredentials = {
      byUpstream,
      close: async () => {
        await Promise.allSettled([...byUpstream.values()].map((c) => c.close()));
      },
    };
    const runtime = assembleRuntime(next, parts, {
      clients,
      ownsClients: true,
      credentials,
      carried: running,
    });
    // Shared breakers of new clients load their state from Redis before any call reaches them.
    await upstreamClientsReady(freshClients);
    return {
      runtime,
      upstreams,
      retire: (earlier) => retire(running, runtime, parts, earlier),
      discard: () => {
        runtime.observers.untrackBreakers();
        return discardFresh();
      },
    };
  } catch (err) {
    await discardFresh();
    throw err;
  }
}

/**
 * Once the old runtime's calls are done, closes its clients and credentials that are not kept. A
 * client it kept from an older runtime may still serve that one's calls: its retirement ends first.
 */
async function retire(
  old: GatewayRuntime,
  next: GatewayRuntime,
  parts: GatewayParts,
  earlier: Promise<void>,
): Promise<void> {
  await Promise.all([old.calls.idle(), earlier]);
  const keptClients = new Set(next.clients.values());
  const keptCredentials = new Set(next.credentials.byUpstream.values());
  const results = await Promise.allSettled([
    ...[...old.clients.values()].filter((c) => !keptClients.has(c)).map((c) => c.close()),
    ...[...old.credentials.byUpstream.values()].filter((c) => !keptCredentials.has(c)).map((c) => c.close()),
  ]);
  for (const r of results)
    if (r.status === 'rejected')
      parts.logger.warn({ err: errorForLog(r.reason) }, 'error while closing a retired upstream client');
}
