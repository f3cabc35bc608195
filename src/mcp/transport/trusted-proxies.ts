import type { IncomingMessage } from 'node:http';
import { BlockList, isIPv4 } from 'node:net';
import { addressGroup, canonicalAddress } from './client-address.js';

/** Where the socket has no address any more (it closed under the request): all such are one client. */
const UNKNOWN_PEER = 'unknown';

/**
 * Tells which client a request comes from, for caps counted per client address. The socket's peer is
 * the client, unless it is one of `server.http.trustProxy`: then the client is the rightmost hop of
 * `X-Forwarded-For` that is no trusted proxy, because each proxy appends the peer it saw and only the
 * hops written by trusted proxies can be believed (a client may send any header it likes). A header
 * that cannot be read (a hop that is no address) is not guessed at: the socket's peer counts.
 */
export class ClientAddresses {
  private readonly trusted = new BlockList();
  private readonly trustsAny: boolean;

  /** `trustProxy`: addresses and CIDR blocks (`10.0.0.0/8`, `fd00::/8`), validated by the config schema. */
  constructor(trustProxy: readonly string[] = []) {
    for (const entry of trustProxy) this.trust(entry);
    this.trustsAny = trustProxy.length > 0;
  }

  /** The group (an IPv4 address, an IPv6 /64) the request's client is counted in. */
  groupOf(req: IncomingMessage): string {
    const client = this.clientOf(req);
    return client === UNKNOWN_PEER ? client : addressGroup(client);
  }

  /** The canonical address of the request's client. */
  clientOf(req: IncomingMessage): string {
    const peer = canonicalAddress(req.socket.remoteAddress ?? '');
    if (peer === undefined) return UNKNOWN_PEER;
    if (!this.trustsAny || !this.trusts(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    if (typeof header !== 'string') return peer;
    const hops = header.split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = canonicalAddress(hops[i]!);
      if (hop === undefined) return peer;
      client = hop;
      if (!this.trusts(hop)) return hop;
    }
    // Every hop a trusted proxy: the farthest one is as near the client as can be told.
    return client;
  }

  private trusts(address: string): boolean {
    return this.trusted.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
  }

  private trust(entry: string): void {
    const [raw, bits] = entry.split('/') as [string, string | undefined];
    const address = canonicalAddress(raw)!;
    const type = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (bits === undefined) this.trusted.addAddress(address, type);
    else this.trusted.addSubnet(address, Number(bits), type);
  }
}
