import { describe, expect, it } from 'vitest';
import { defaultLocation, toolSchema } from '../../../src/config/index.js';
import { buildRequestMapping } from '../../../src/mcp/tools/request-mapping.js';

// The config (defaultLocation: what `params` may leave out, what `conduit init` omits) and the gateway
// (buildRequestMapping: where an argument is sent) must agree on where an unplaced argument goes.
describe('where an argument goes when params does not say', () => {
  const path = '/items/{id}';
  const input = { type: 'object', properties: { id: { type: 'string' }, q: { type: 'string' } } };

  it('the config and the gateway agree for every method, in either case', () => {
    for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS', 'POST', 'PUT', 'PATCH']) {
      for (const spelled of [method, method.toLowerCase()]) {
        const mapping = buildRequestMapping(spelled, path, input, undefined);
        expect([spelled, mapping.locations.get('q')]).toEqual([spelled, defaultLocation('q', spelled, path)]);
        expect([spelled, mapping.fallback]).toEqual([spelled, defaultLocation('extra', spelled, path)]);
        expect(defaultLocation('id', spelled, path)).toBe('path');
      }
    }
  });

  it('OPTIONS, like GET, HEAD and DELETE, has no conventional body: the query', () => {
    expect(defaultLocation('q', 'OPTIONS', path)).toBe('query');
    expect(defaultLocation('q', 'GET', path)).toBe('query');
    expect(defaultLocation('q', 'POST', path)).toBe('body');
  });

  it('a configured tool cannot use OPTIONS itself (OpenAPI options operations are not tools either)', () => {
    const tool = { name: 't', upstream: 'u', method: 'OPTIONS', path: '/items' };
    const parsed = toolSchema.safeParse(tool);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['method']);
    expect(toolSchema.safeParse({ ...tool, method: 'DELETE' }).success).toBe(true);
  });
});
