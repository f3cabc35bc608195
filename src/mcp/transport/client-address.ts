import { isIPv4, isIPv6 } from 'node:net';

/**
 * An address as written in a socket or an `X-Forwarded-For` hop, in one canonical form: IPv4 dotted,
 * IPv6 lower-case without a zone, an IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, how a dual-stack
 * listener shows an IPv4 peer) as the IPv4 address. `[v6]:port` and `v4:port` hops (some proxies add
 * the port) lose the port. Undefined when it is no IP address.
 */
export function canonicalAddress(raw: string): string | undefined {
  const text = withoutPort(raw.trim());
  if (isIPv4(text)) return text;
  const v6 = text.split('%')[0]!.toLowerCase();
  if (!isIPv6(v6)) return undefined;
  const g = ipv6Groups(v6);
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
  return mapped ? `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}` : v6;
}

/**
 * The group a per-client cap counts a canonical address in: an IPv4 address alone, an IPv6 address
 * by its /64, the smallest block a provider hands one subscriber (one host picks freely among its
 * 2^64 addresses, so counting single ones would let it open a fresh place per address).
 */
export function addressGroup(address: string): string {
  if (isIPv4(address)) return address;
  const prefix = ipv6Groups(address)
    .slice(0, 4)
    .map((x) => x.toString(16));
  return `${prefix.join(':')}::/64`;
}

/** `[::1]:443` → `::1`, `203.0.113.7:51234` → `203.0.113.7`; anything else as it is. */
function withoutPort(text: string): string {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    const rest = end === -1 ? '' : text.slice(end + 1);
    return end !== -1 && (rest === '' || /^:\d{1,5}$/.test(rest)) ? text.slice(1, end) : text;
  }
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  return v4WithPort ? v4WithPort[1]! : text;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail as two groups). */
export function ipv6Groups(v6: string): number[] {
  let text = v6;
  const tailAt = text.lastIndexOf(':');
  const tail = text.slice(tailAt + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, tailAt + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((x) => Number.parseInt(x, 16));
}
