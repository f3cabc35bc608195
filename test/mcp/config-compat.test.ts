import { describe, expect, it } from 'vitest';
import { type GatewayConfig, parseConfig } from '../../src/config/index.js';
import { createGateway, type GatewayConfigShape } from '../../src/mcp/index.js';

// Compile-time: a validated config is what the gateway takes.
const _fits = (c: GatewayConfig): GatewayConfigShape => c;

describe('the gateway takes a config parsed by conduit-mcp/config', () => {
  it('builds every tool of a parsed YAML config', async () => {
    const config = await parseConfig(
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
    expect(_fits(config).tools).toHaveLength(1);
    const gateway = createGateway(config);
    expect(gateway.toolNames).toEqual(['get_item']);
    await gateway.close();
  });
});
