import type { IncomingMessage } from 'node:http';
import { BlockList, isIPv4 } from 'node:net';
import { addressGroup, canonicalAddress } from './client-address.js';

/** Where the socket has no address any more (it closed under the request): all such are one client. */
const UNKNOWN_PEER = 'unknown';

/** A socket's peer: its address group, and whether it is a trusted proxy. */
interface Peer {
  readonly group: string;
  readonly proxy: boolean;
}

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
  /**
   * Each socket's peer, read once: a socket's peer does not change, and a client sends many requests
   * on one connection (reading an IPv4-mapped address costs ~3 µs).
   */
  private readonly peers = new WeakMap<object, Peer>();

  /** `trustProxy`: addresses and CIDR blocks (`10.0.0.0/8`, `fd00::/8`), validated by the config schema. */
  constructor(trustProxy: readonly string[] = []) {
    for (const entry of trustProxy) this.trust(entry);
    this.trustsAny = trustProxy.length > 0;
  }

  /** The group (an IPv4 address, an IPv6 /64) the request's client is counted in. */
  groupOf(req: IncomingMessage): string {
    const peer = this.peerOf(req);
    if (!peer.proxy) return peer.group;
    const client = this.forwardedClient(req.headers['x-forwarded-for']);
    return client === undefined ? peer.group : addressGroup(client);
  }

  private peerOf(req: IncomingMessage): Peer {
    const socket = req.socket as object;
    let peer = this.peers.get(socket);
    if (peer === undefined) {
      const address = canonicalAddress(req.socket.remoteAddress ?? '');
      peer =
        address === undefined
          ? { group: UNKNOWN_PEER, proxy: false }
          : { group: addressGroup(address), proxy: this.trustsAny && this.trusts(address) };
      // A socket closed under the request has no address yet: not kept, it may be asked again.
      if (address !== undefined) this.peers.set(socket, peer);
    }
    return peer;
  }

  /**
   * The rightmost hop of a trusted proxy's `X-Forwarded-For` that is no trusted proxy; undefined
   * when there is no header or a hop is no address (the proxy itself is then the client).
   */
  private forwardedClient(header: string | string[] | undefined): string | undefined {
    if (typeof header !== 'string') return undefined;
    const hops = header.split(',');
    let client: string | undefined;
    for (let i = hops.length - 1; i >= 0; i--) {
      client = canonicalAddress(hops[i]!);
      if (client === undefined) return undefined;
      if (!this.trusts(client)) return client;
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
