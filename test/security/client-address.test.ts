import { describe, expect, it } from 'vitest';
import { addressGroup, canonicalAddress } from '../../src/mcp/transport/client-address.js';

describe('client addresses as per-client caps count them', () => {
  it('reads socket and X-Forwarded-For forms into one canonical address', () => {
    expect(canonicalAddress(' 203.0.113.7 ')).toBe('203.0.113.7');
    expect(canonicalAddress('203.0.113.7:51234')).toBe('203.0.113.7');
    expect(canonicalAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(canonicalAddress('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(canonicalAddress('[2001:DB8::1]:443')).toBe('2001:db8::1');
    expect(canonicalAddress('fe80::1%eth0')).toBe('fe80::1');
  });

  it('answers undefined for what is no address', () => {
    for (const bad of ['', 'unknown', 'proxy.internal', '1.2.3', '[::1', '1.2.3.4:port'])
      expect(canonicalAddress(bad)).toBeUndefined();
  });

  it('groups IPv6 by /64 and keeps IPv4 whole', () => {
    expect(addressGroup('203.0.113.7')).toBe('203.0.113.7');
    expect(addressGroup('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
    expect(addressGroup('64:ff9b::203.0.113.7')).toBe('64:ff9b:0:0::/64');
  });
});
