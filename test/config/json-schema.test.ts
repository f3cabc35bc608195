import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildJsonSchema } from '../../src/config/index.js';

describe('schema/conduit.schema.json', () => {
  it('is up to date with the zod schema (regenerate: npx tsx src/config/write-json-schema.ts)', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../schema/conduit.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(buildJsonSchema());
  });

  it('describes the file as written: strict objects, durations as number or string', () => {
    const schema = buildJsonSchema() as {
      additionalProperties: boolean;
      properties: Record<string, { properties?: Record<string, unknown> }>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['server', 'cache', 'upstreams', 'tools']),
    );
    const shutdown = schema.properties.server!.properties!.shutdownTimeout as { anyOf: { type: string }[] };
    expect(shutdown.anyOf.map((s) => s.type)).toEqual(['number', 'string']);
  });
});
