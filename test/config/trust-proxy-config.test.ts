import { describe, expect, it } from 'vitest';
import { ConfigValidationError, parseConfig } from '../../src/config/index.js';

function parsed(trustProxy: string) {
  return parseConfig(`
server:
  http:
    trustProxy: ${trustProxy}
`);
}

function problemsOf(trustProxy: string) {
  try {
    parsed(trustProxy);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigValidationError);
    return (err as ConfigValidationError).problems;
  }
  throw new Error('expected the config to be rejected');
}

describe('server.http.trustProxy', () => {
  it('trusts no proxy by default', () => {
    expect(parseConfig('{}').server.http.trustProxy).toEqual([]);
  });

  it('takes addresses and CIDR blocks of both families', () => {
    const list = ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', '::ffff:10.0.0.1'];
    expect(parsed(JSON.stringify(list)).server.http.trustProxy).toEqual(list);
  });

  it('refuses a host name, a prefix out of range and a mapped block, each at its index', () => {
    const problems = problemsOf(
      '["proxy.internal", "10.0.0.0/33", "fd00::/129", "::ffff:10.0.0.0/104", "1.2.3.4/x"]',
    );
    expect(problems.map((p) => p.path)).toEqual([
      'server.http.trustProxy[0]',
      'server.http.trustProxy[1]',
      'server.http.trustProxy[2]',
      'server.http.trustProxy[3]',
      'server.http.trustProxy[4]',
    ]);
    expect(problems[0]!.message).toContain('CIDR');
    expect(problems[1]!.message).toContain('0 to 32');
    expect(problems[2]!.message).toContain('0 to 128');
    expect(problems[3]!.message).toContain('as IPv4');
  });

  it('refuses a block that holds every IPv4 client (a /0, or an IPv6 block over the mapped range): each would name itself in X-Forwarded-For', () => {
    const problems = problemsOf('["0.0.0.0/0", "::/0", "::/64", "10.0.0.0/8"]');
    expect(problems.map((p) => p.path)).toEqual([
      'server.http.trustProxy[0]',
      'server.http.trustProxy[1]',
      'server.http.trustProxy[2]',
    ]);
    for (const p of problems) expect(p.message).toContain('every client');
  });
});
