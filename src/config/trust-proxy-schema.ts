import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';

const ENTRY_HINT = 'expected an IP address or a CIDR block such as 10.0.0.0/8 or fd00::/8';

/** What is wrong with a `trustProxy` entry, or undefined when it is an address or a CIDR block. */
export function trustProxyEntryProblem(entry: string): string | undefined {
  const [address, bits, extra] = entry.trim().split('/');
  const v4 = isIPv4(address ?? '');
  if (extra !== undefined || (!v4 && !isIPv6(address ?? '')))
    return `${ENTRY_HINT}, not ${JSON.stringify(entry)}`;
  if (address!.includes('%')) return `write ${JSON.stringify(entry)} without the zone (%…)`;
  if (bits === undefined) return undefined;
  if (!v4 && address!.toLowerCase().startsWith('::ffff:'))
    return `write the IPv4 block of ${JSON.stringify(entry)} as IPv4 (e.g. 10.0.0.0/8): mapped clients are matched as IPv4`;
  const max = v4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max)
    return `the prefix length of ${JSON.stringify(entry)} must be 0 to ${max}`;
  if (holdsAllIPv4(address!, Number(bits), v4))
    return `${JSON.stringify(entry)} trusts every client as a proxy (all of IPv4, mapped IPv4 included): each could name any address in X-Forwarded-For and so get a fresh per-address cap and quota per request; list the proxies' own addresses or blocks`;
  return undefined;
}

/**
 * True when the block holds every IPv4 address: `0.0.0.0/0`, and IPv6 blocks over `::ffff:0:0/96`
 * (`::/0`, `::/64`), which the proxy check matches IPv4 peers against too.
 */
function holdsAllIPv4(address: string, bits: number, v4: boolean): boolean {
  const block = new BlockList();
  block.addSubnet(address, bits, v4 ? 'ipv4' : 'ipv6');
  return block.check('0.0.0.0', 'ipv4') && block.check('255.255.255.255', 'ipv4');
}

/**
 * `server.http.trustProxy`: the reverse proxies whose `X-Forwarded-For` names the client, as
 * addresses and CIDR blocks. Empty (the default): the header is never read, since any client can
 * send one.
 */
export const trustProxySchema = z
  .array(
    z.string({ error: ENTRY_HINT }).superRefine((entry, ctx) => {
      const problem = trustProxyEntryProblem(entry);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    { error: 'expected a list of proxy addresses or CIDR blocks, e.g. ["10.0.0.0/8"]' },
  )
  .default([]);
