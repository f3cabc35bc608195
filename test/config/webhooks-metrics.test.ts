// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests write ${VAR} references on purpose
import { describe, expect, it } from 'vitest';
import { ConfigValidationError, parseConfig } from '../../src/config/index.js';

const base = `
upstreams:
  api: { baseUrl: "http://127.0.0.1:9" }
`;

function problems(text: string, env: Record<string, string> = {}) {
  try {
    parseConfig(text, { env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigValidationError);
    return (err as ConfigValidationError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the config to be rejected');
}

describe('webhooks, metrics and server.listener', () => {
  it('fills defaults: metrics on at /metrics, durations and sizes parsed, secrets interpolated', () => {
    const config = parseConfig(
      `${base}
server:
  listener: { port: "3001" }
webhooks:
  endpoints:
    - path: /hooks/a
      scheme: standard
      secrets: ["\${HOOK_SECRET}"]
      tolerance: 2m
      events:
        "a.*": { invalidate: { keys: ["a:{data.id}"] }, notify: ["a://{data.id}"] }
`,
      { env: { HOOK_SECRET: 'whsec_c2VjcmV0' } },
    );
    expect(config.metrics).toEqual({ enabled: true, path: '/metrics', defaultMetrics: false, public: false });
    expect(config.server.listener).toEqual({
      host: '127.0.0.1',
      port: 3001,
      maxConnections: 512,
      headersTimeout: 10_000,
      requestTimeout: 30_000,
    });
    const ep = config.webhooks!.endpoints[0]!;
    expect(ep).toMatchObject({
      secrets: ['whsec_c2VjcmV0'],
      tolerance: 120_000,
      deadline: 10_000,
      maxBodyBytes: 1024 * 1024,
    });
    expect(ep.events['a.*']).toEqual({
      invalidate: { keys: ['a:{data.id}'], tags: [], patterns: [] },
      notify: ['a://{data.id}'],
    });
    expect(config.webhooks!.dedupe).toBeUndefined();
  });

  it('reports each wrong field with its path', () => {
    const found = problems(`${base}
metrics: { path: /mcp, enabled: maybe }
webhooks:
  dedupe: redis
  endpoints:
    - path: /hooks/a
      scheme: paypal
      secrets: []
      events: {}
    - path: /hooks/a
      scheme: standard
      secrets: [x]
      hmac: { header: x-sig }
      events: {}
    - path: /mcp
      scheme: github
      secrets: [x]
      events: {}
`);
    const has = (path: string, text: string) =>
      expect(
        found.some((p) => p.startsWith(`${path}:`) && p.includes(text)),
        `${path} ${text}\n${found.join('\n')}`,
      ).toBe(true);
    has('metrics.enabled', 'expected');
    has('webhooks.endpoints[0].scheme', 'expected one of standard, svix, github, stripe, hmac');
    has('webhooks.endpoints[0].secrets', 'at least one secret');
    has('webhooks.dedupe', 'needs cache.redis.url');
    has('webhooks.endpoints[1].path', 'used twice');
    has('webhooks.endpoints[1].hmac', 'scheme: hmac only');
    has('webhooks.endpoints[2].path', 'MCP endpoint');
  });

  it('refuses a metrics path on the MCP endpoint and an empty endpoint list', () => {
    const found = problems(`${base}
metrics: { path: /mcp }
webhooks: { endpoints: [] }
`);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^metrics\.path: .*MCP endpoint/),
        expect.stringMatching(/^webhooks\.endpoints: expected at least one endpoint/),
      ]),
    );
  });

  it('never echoes an interpolated secret in a problem', () => {
    const found = problems(
      `${base}
webhooks:
  endpoints:
    - { path: /h, scheme: nope, secrets: ["\${S}"], events: {} }
`,
      { S: 'super-secret-value' },
    );
    expect(found.join('\n')).not.toContain('super-secret-value');
  });
});
