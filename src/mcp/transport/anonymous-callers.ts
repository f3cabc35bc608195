import type { IncomingMessage } from 'node:http';
import { anonymousAt, type Principal } from './principal.js';
import type { ClientAddresses } from './trusted-proxies.js';

/** Address groups whose principal is kept; past it the map starts over (a flood of addresses). */
const MAX_KEPT = 4096;

/**
 * The anonymous principal of each request, carrying its client address group, so that per-caller
 * limits (session caps, quotas) count callers without a credential per address. One frozen principal
 * per group is kept, so its `AuthInfo` is built once (auth-info.ts) rather than per request.
 */
export class AnonymousCallers {
  private readonly kept = new Map<string, Principal>();

  constructor(private readonly clients: ClientAddresses) {}

  of(req: IncomingMessage): Principal {
    const group = this.clients.groupOf(req);
    let principal = this.kept.get(group);
    if (principal === undefined) {
      if (this.kept.size >= MAX_KEPT) this.kept.clear();
      principal = anonymousAt(group);
      this.kept.set(group, principal);
    }
    return principal;
  }
}
