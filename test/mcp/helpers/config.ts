import type { TestConfigInput, ToolInput } from '../../helpers/gateway-config.js';

/**
 * The assignments tools used across the gateway tests, pointed at `baseUrl`, as written in a file
 * (run it through `testConfig` for the gateway).
 */
export function assignmentsConfig(baseUrl: string, extraTools: ToolInput[] = []): TestConfigInput {
  return {
    server: { name: 'test-gateway', version: '1.0.0' },
    upstreams: { assignments: { baseUrl, timeouts: { total: 5000 } } },
    tools: [
      {
        name: 'get_assignment',
        description: 'Get one assignment by id',
        upstream: 'assignments',
        method: 'GET',
        path: '/assignments/{id}',
        input: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1 } },
          required: ['id'],
          additionalProperties: false,
        },
      },
      {
        name: 'update_assignment',
        description: 'Update an assignment',
        upstream: 'assignments',
        method: 'PUT',
        path: '/assignments/{id}',
        input: {
          type: 'object',
          properties: { id: { type: 'string' }, title: { type: 'string' }, done: { type: 'boolean' } },
          required: ['id'],
        },
      },
      {
        name: 'echo',
        description: 'Echo query and headers',
        upstream: 'assignments',
        method: 'GET',
        path: '/echo',
        input: {
          type: 'object',
          properties: {
            q: { type: 'string' },
            tags: { type: 'array', items: { type: 'string' } },
            'x-trace': { type: 'string' },
            limit: { type: 'integer', maximum: 100 },
          },
        },
        params: { 'x-trace': 'header' },
      },
      ...extraTools,
    ],
  };
}
