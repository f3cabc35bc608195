import { errorMessage } from '../../core/index.js';
import type { HttpClient } from '../../http/index.js';

/**
 * The JSON behind `conduit://health`: each upstream's breaker snapshot (null when it has no breaker),
 * the cache's statistics when the cache reports them (null without a cache), and every extra section
 * registered with {@link HealthSections.set} (e.g. `webhooks` counters). A section that throws shows
 * its error instead of breaking the whole document.
 */
export class HealthSections {
  private readonly sections = new Map<string, () => unknown>();

  constructor(
    private readonly clients: ReadonlyMap<string, HttpClient>,
    private readonly cache: unknown,
    private readonly now: () => number,
  ) {}

  /** Adds (or replaces) a named section; `upstreams`, `cache` and `at` are reserved. */
  set(name: string, provider: () => unknown): void {
    if (name === 'upstreams' || name === 'cache' || name === 'at')
      throw new Error(`the health section name "${name}" is reserved`);
    this.sections.set(name, provider);
  }

  snapshot(): Record<string, unknown> {
    const upstreams: Record<string, unknown> = {};
    for (const [name, client] of this.clients) upstreams[name] = { breaker: client.breakerSnapshot ?? null };
    const stats = (this.cache as { stats?: () => unknown } | undefined)?.stats;
    const out: Record<string, unknown> = {
      at: this.now(),
      upstreams,
      cache: typeof stats === 'function' ? stats.call(this.cache) : null,
    };
    for (const [name, provider] of this.sections) {
      try {
        out[name] = provider();
      } catch (err) {
        out[name] = { error: errorMessage(err) };
      }
    }
    return out;
  }
}
