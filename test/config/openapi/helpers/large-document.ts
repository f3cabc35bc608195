/**
 * Generates a large OpenAPI document in memory: `operations` GET operations whose 200 response is one
 * shared schema of `fanout`-way nested `$ref`s, `levels` deep. The defaults (400 operations, 4 × 7
 * levels) give schemas of 5 461 nodes each once their refs are inlined: 2.2 million nodes in all, the
 * shape a reviewer measured `conduit validate` on. Kept as a generator, not a multi-MB fixture.
 */
export interface LargeDocumentOptions {
  operations?: number;
  /** Properties per object level, each a `$ref` to the next level. */
  fanout?: number;
  /** Schema levels, the last one a string. */
  levels?: number;
}

/** Nodes one operation's schema has once its refs are inlined: 1 + f + f² + … + f^(levels-1). */
export function inlinedNodes({ fanout = 4, levels = 7 }: LargeDocumentOptions = {}): number {
  let total = 0;
  for (let k = 0, n = 1; k < levels; k++, n *= fanout) total += n;
  return total;
}

/** The document as a plain value (`JSON.stringify` it, or `yaml` `stringify` it). */
export function largeDocument({ operations = 400, fanout = 4, levels = 7 }: LargeDocumentOptions = {}) {
  const last = levels - 1;
  const schemas: Record<string, unknown> = { [`S${last}`]: { type: 'string' } };
  for (let k = 0; k < last; k++)
    schemas[`S${k}`] = {
      type: 'object',
      properties: Object.fromEntries(
        Array.from({ length: fanout }, (_, j) => [`p${j}`, { $ref: `#/components/schemas/S${k + 1}` }]),
      ),
    };
  const paths: Record<string, unknown> = {};
  for (let i = 0; i < operations; i++)
    paths[`/r${i}`] = {
      get: {
        operationId: `get${i}`,
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/S0' } } },
          },
        },
      },
    };
  return {
    openapi: '3.0.3',
    info: { title: 'Large', version: '1' },
    servers: [{ url: 'http://127.0.0.1:9' }],
    paths,
    components: { schemas },
  };
}
