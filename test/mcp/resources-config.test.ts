import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigValidationError, parseConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/mcp/index.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';
import { connectStdio } from './resources-helpers.js';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

const yaml = (resources: string) => `
upstreams:
  api: { baseUrl: ${upstream.url} }
tools:
  - name: get_assignment
    upstream: api
    method: GET
    path: /assignments/{id}
    input: { type: object, properties: { id: { type: string } }, required: [id] }
${resources}
`;

describe('the resources section of the config', () => {
  it('fills in defaults: health and recent_changes on, mimeType application/json', () => {
    const config = parseConfig(
      yaml(`resources:
  templates:
    - { uriTemplate: "assignments://{id}", name: assignment, tool: get_assignment }`),
      { env: {} },
    );
    expect(config.resources).toEqual({
      health: true,
      recentChanges: true,
      templates: [
        {
          uriTemplate: 'assignments://{id}',
          name: 'assignment',
          tool: 'get_assignment',
          mimeType: 'application/json',
        },
      ],
    });
  });

  it('takes the object form and can turn health and recent_changes off', async () => {
    const config = parseConfig(
      yaml(`resources:
  health: false
  recentChanges: false
  templates:
    - { uriTemplate: "assignments://{id}", name: assignment, tool: get_assignment }`),
      { env: {} },
    );
    const gateway = createGateway(config);
    const c = await connectStdio(gateway, 'v2-legacy');
    try {
      expect((await c.client!.listResources()).resources).toEqual([]);
      expect((await c.client!.listTools()).tools.map((t) => t.name)).toEqual(['get_assignment']);
      const { contents } = await c.client!.readResource({ uri: 'assignments://1' });
      expect(JSON.parse((contents[0] as { text: string }).text)).toMatchObject({ id: '1' });
    } finally {
      await c.close();
      await gateway.close();
    }
  });

  it('rejects a template without a variable, with its path in the file', () => {
    let err: unknown;
    try {
      parseConfig(
        yaml(
          `resources:\n  templates:\n    - { uriTemplate: "conduit://fixed", name: x, tool: get_assignment }`,
        ),
        {
          env: {},
        },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    expect(String((err as Error).message)).toMatch(
      /resources\.templates\.0\.uriTemplate|resources\.templates\[0\]\.uriTemplate/,
    );
    expect(String((err as Error).message)).toMatch(/\{variable\}/);
  });
});
