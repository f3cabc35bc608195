import { describe, expect, it } from 'vitest';
import { ConfigValidationError, defineConfig, parseConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/mcp/index.js';

describe('the gateway takes a config parsed by conduit-mcp/config', () => {
  it('builds every tool of a parsed YAML config', async () => {
    const config = parseConfig(
      `
upstreams:
  api:
    baseUrl: http://127.0.0.1:9
    auth: { type: bearer, token: "\${TOKEN}" }
    retry: { maxAttempts: 2, baseDelay: 50ms }
    breaker: { failureThreshold: 3, recoveryTimeout: 5s }
tools:
  - name: get_item
    upstream: api
    path: /items/{id}
    input: { type: object, properties: { id: { type: string } }, required: [id] }
    cache: { ttl: 30s, key: "item:{id}" }
`,
      { format: 'yaml', env: { TOKEN: 'secret-token' }, sourceName: 'test.yaml' },
    );
    const gateway = createGateway(config);
    expect(gateway.toolNames).toEqual(['get_item']);
    await gateway.close();
  });

  it('a config written in code goes through the same schema: defaults filled, unknown keys refused', async () => {
    const config = defineConfig({
      upstreams: { api: { baseUrl: 'http://127.0.0.1:9', breaker: { failureThreshold: 2 } } },
      tools: [
        {
          name: 'get_item',
          upstream: 'api',
          path: '/items/{id}',
          input: { properties: { id: {} }, required: ['id'] },
        },
      ],
    });
    expect(config.upstreams.api!.breaker).toMatchObject({ recovery: 30_000, halfOpenMaxConcurrent: 1 });
    expect(config.tools[0]!.method).toBe('GET');
    const gateway = createGateway(config);
    expect(gateway.version).toBe(config.server.version);
    await gateway.close();
    let caught: unknown;
    try {
      // A field the schema lacks is an error, never silently ignored.
      defineConfig({
        upstreams: { api: { baseUrl: 'http://127.0.0.1:9', breaker: { recoverAfter: '5s' } } },
      } as never);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigValidationError);
    expect((caught as ConfigValidationError).problems[0]!.path).toBe('upstreams.api.breaker');
    expect((caught as ConfigValidationError).message).toMatch(/recoverAfter/);
  });

  it('a config written in code gets the cross-checks of a file: a tool naming an unknown upstream', () => {
    expect(() =>
      defineConfig({
        upstreams: { api: { baseUrl: 'http://127.0.0.1:9' } },
        tools: [{ name: 'get_item', upstream: 'apj', path: '/items' }],
      }),
    ).toThrow(/tools\[0\]\.upstream.*"apj"/);
  });
});
