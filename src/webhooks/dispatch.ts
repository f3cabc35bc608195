import { ConfigError } from '../core/index.js';

/**
 * Routes an event type to the entries registered for it: an exact name (`invoice.paid`), a prefix
 * wildcard (`invoice.*`, which matches `invoice.paid` and `invoice.payment.failed`) or `*` (anything).
 * Every matching entry runs, most specific first: the exact one, then wildcards by longer prefix.
 */
export class TypeRouter<T> {
  private readonly exact = new Map<string, T>();
  private readonly wildcards: { prefix: string; value: T }[] = [];
  private readonly cache = new Map<string, readonly T[]>();

  constructor(routes: Readonly<Record<string, T>>) {
    for (const [pattern, value] of Object.entries(routes)) {
      const star = pattern.indexOf('*');
      if (star === -1) {
        if (pattern.length === 0) throw new ConfigError('webhooks: an event type pattern is empty');
        this.exact.set(pattern, value);
      } else if (
        pattern === '*' ||
        (star === pattern.length - 1 && pattern.endsWith('.*') && pattern.length > 2)
      ) {
        this.wildcards.push({ prefix: pattern.slice(0, -1), value });
      } else {
        throw new ConfigError(
          `webhooks: event type pattern ${JSON.stringify(pattern)} is not supported; use an exact type, "prefix.*" or "*"`,
        );
      }
    }
    this.wildcards.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** Entries for `type`, most specific first; empty when nothing matches. */
  match(type: string): readonly T[] {
    const hit = this.cache.get(type);
    if (hit) return hit;
    const out: T[] = [];
    const exact = this.exact.get(type);
    if (exact !== undefined) out.push(exact);
    for (const w of this.wildcards)
      if (type.startsWith(w.prefix) && type.length > w.prefix.length) out.push(w.value);
    // Types come from senders: bound the memo so a flood of distinct types cannot grow it without limit.
    if (this.cache.size < 1_000) this.cache.set(type, out);
    return out;
  }
}
