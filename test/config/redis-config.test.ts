import { describe, expect, it } from 'vitest';
import { parseClusterSeeds } from '../../src/redis/index.js';
import { ConfigValidationError, defineConfig, parseConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/index.js';
import { createUpstreamClients } from '../../src/mcp/gateway/upstream-clients.js';
import { noopLogger, systemClock } from '../../src/core/index.js';

function problems(text: string) {
  try {
    parseConfig(text, { env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigValidationError);
    return (err as ConfigValidationError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the config to be rejected');
}

const sharedUpstream = `
upstreams:
  api: { baseUrl: "http://127.0.0.1:9", breaker: { failureThreshold: 3, shared: true } }
`;

describe('breaker.shared and cache.redis (url or cluster)', () => {
  it('accepts a shared breaker with cache.redis.url, and with cache.redis.cluster', () => {
    const one = parseConfig(`${sharedUpstream}cache: { redis: { url: "redis://127.0.0.1:6379" } }\n`, {
      env: {},
    });
    expect(one.upstreams.api!.breaker).toMatchObject({ failureThreshold: 3, shared: true });
    const many = parseConfig(
      `${sharedUpstream}cache: { redis: { cluster: ["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"] } }\n`,
      { env: {} },
    );
    expect(many.cache.redis).toEqual({ cluster: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'] });
    expect(
      parseConfig(`upstreams: { api: { baseUrl: "http://127.0.0.1:9", breaker: {} } }`, { env: {} }).upstreams
        .api!.breaker!.shared,
    ).toBe(false);
  });

  it('refuses a shared breaker without Redis, naming the key and the fix', () => {
    expect(problems(sharedUpstream)).toEqual([
      expect.stringMatching(
        /upstreams.api.breaker.shared: .*needs a Redis.*cache\.redis\.url \(or cache\.redis\.cluster\)/,
      ),
    ]);
  });

  it('refuses cache.redis with both url and cluster, or neither; and an empty or non-URL seed list', () => {
    expect(problems(`cache: { redis: { url: "redis://a:1", cluster: ["redis://b:1"] } }`).join('\n')).toMatch(
      /cache.redis: give either url .* or cluster .*not both/,
    );
    expect(problems(`cache: { redis: {} }`).join('\n')).toMatch(/cache.redis: give url/);
    expect(problems(`cache: { redis: { cluster: [] } }`).join('\n')).toMatch(
      /at least one redis:\/\/ seed URL/,
    );
    expect(problems(`cache: { redis: { cluster: ["http://x:1"] } }`).join('\n')).toMatch(
      /expected a redis:\/\/ or rediss:\/\/ URL/,
    );
  });

  it('webhooks.dedupe: redis is satisfied by a cluster', () => {
    const config = parseConfig(
      `cache: { redis: { cluster: ["redis://10.0.0.1:7000"] } }
webhooks:
  dedupe: redis
  endpoints:
    - path: /h
      scheme: hmac
      secrets: ["s3cret-s3cret"]
      hmac: { header: x-sig }
      events: { "*": { notify: ["a://x"] } }
`,
      { env: {} },
    );
    expect(config.webhooks!.dedupe).toBe('redis');
  });

  it('the library face refuses a shared breaker without Redis too (createUpstreamClients)', () => {
    expect(() =>
      createUpstreamClients(
        defineConfig({ upstreams: { api: { baseUrl: 'http://127.0.0.1:9', breaker: { shared: true } } } })
          .upstreams,
        { logger: noopLogger, clock: systemClock },
      ),
    ).toThrow(ConfigError);
  });

  it('parses cluster seed URLs: hosts, ports, credentials, TLS; errors never show a password', () => {
    expect(parseClusterSeeds(['redis://:pw@10.0.0.1:7000', 'redis://10.0.0.2'])).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
      ],
      redisOptions: { password: 'pw' },
    });
    expect(parseClusterSeeds(['rediss://u:p%40ss@[::1]:7000']).redisOptions).toEqual({
      username: 'u',
      password: 'p@ss',
      tls: {},
    });
    expect(() => parseClusterSeeds([])).toThrow(ConfigError);
    expect(() => parseClusterSeeds(['redis://a:1', 'rediss://b:1'])).toThrow(
      /mix redis:\/\/ and rediss:\/\//,
    );
    let message = '';
    try {
      parseClusterSeeds(['redis://:topsecret@h:1/3']);
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/only database 0/);
    expect(message).not.toContain('topsecret');
  });
});
