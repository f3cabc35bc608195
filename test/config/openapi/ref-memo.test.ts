import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type DocumentFile,
  loadOpenApiDocument,
  type OpenApiDocument,
  openApiTools,
  parseOpenApiDocument,
} from '../../../src/config/openapi/index.js';
import { doc } from './helpers.js';
import { inlinedNodes, largeDocument } from './helpers/large-document.js';
import { jsonOk } from '../../helpers/openapi-responses.js';

const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-memo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The document with its file map counting lookups: each `$ref` followed looks its file up once. */
function counting(document: OpenApiDocument): {
  outputSchemas: true;
  document: OpenApiDocument;
  lookups: () => number;
} {
  let lookups = 0;
  class CountingFiles extends Map<string, DocumentFile> {
    override get(key: string) {
      lookups++;
      return super.get(key);
    }
  }
  return {
    outputSchemas: true,
    document: { ...document, files: new CountingFiles(document.files) },
    lookups: () => lookups,
  };
}

const large = (options: Parameters<typeof largeDocument>[0]) =>
  parseOpenApiDocument(JSON.stringify(largeDocument(options)), { format: 'json', sourceName: 'large.json' });

const schemaGet = (operationId: string, ref: string) => ({
  get: {
    operationId,
    responses: jsonOk({ $ref: ref }),
  },
});

describe('$ref resolution is memoised per document, file and pointer', () => {
  it('each distinct $ref is looked up once, however many times operations inline it', () => {
    // 20 operations × 341 nodes, 340 of them refs: 6 800 refs inlined, 5 distinct ones (S0 … S4).
    const { document, lookups } = counting(large({ operations: 20, fanout: 4, levels: 5 }));
    const { tools } = openApiTools('large', { outputSchemas: true, document: 'large.json' }, document);
    expect(tools).toHaveLength(20);
    expect(inlinedNodes({ fanout: 4, levels: 5 })).toBe(341);
    // Every operation gets the same schema: each level inlined once, its repeats pointing at $defs.
    const output = tools[19]!.output as {
      properties: Record<string, unknown>;
      $defs: Record<string, unknown>;
    };
    expect(Object.keys(output.$defs).sort()).toEqual(['S1', 'S2', 'S3']);
    expect(output.properties.p3).toEqual({ $ref: '#/$defs/S1' });
    expect(output).toEqual(tools[0]!.output);
    expect(lookups()).toBeLessThanOrEqual(5);
  });

  it('a fan-out costs nodes per distinct schema, not per path through it: 4 × 8 levels is served', () => {
    // 21 845 nodes each if inlined; shared through $defs, a few dozen.
    const set = openApiTools(
      'large',
      { outputSchemas: true, document: 'large.json' },
      large({ operations: 2, levels: 8 }),
    );
    expect(set.tools).toHaveLength(2);
    expect(JSON.stringify(set.tools[0]!.output).length).toBeLessThan(5_000);
  });

  it('failures are not memoised: an unresolvable ref or a cycle names each operation that meets it', () => {
    const d = doc(
      {
        '/a': schemaGet('getA', '#/components/schemas/Nope'),
        '/b': schemaGet('getB', '#/components/schemas/Nope'),
        '/c': schemaGet('getC', '#/components/schemas/Loop1'),
        '/d': schemaGet('getD', '#/components/schemas/Loop1'),
      },
      {
        schemas: {
          Loop1: { $ref: '#/components/schemas/Loop2' },
          Loop2: { $ref: '#/components/schemas/Loop1' },
        },
      },
    );
    const skipped: string[] = [];
    openApiTools('api', { outputSchemas: true, document: 'x' }, d, {
      onSkip: (err) => skipped.push(`${err.code} ${err.message}`),
    });
    expect(skipped).toEqual([
      expect.stringMatching(/^OPENAPI_REF_UNRESOLVED operation getA \(GET \/a\): cannot resolve/),
      expect.stringMatching(/^OPENAPI_REF_UNRESOLVED operation getB \(GET \/b\): cannot resolve/),
      expect.stringMatching(
        /^OPENAPI_REF_CYCLE operation getC \(GET \/c\): \$ref "#\/components\/schemas\/Loop1"/,
      ),
      expect.stringMatching(
        /^OPENAPI_REF_CYCLE operation getD \(GET \/d\): \$ref "#\/components\/schemas\/Loop1"/,
      ),
    ]);
  });

  it('the same pointer text in two files resolves in each file, not to whichever was met first', async () => {
    const part = (description: string) =>
      stringify({
        Thing: { $ref: '#/Local' },
        Local: { type: 'object', description, properties: { n: { type: 'integer' } } },
      });
    writeFileSync(join(dir, 'one.yaml'), part('from one'));
    writeFileSync(join(dir, 'two.yaml'), part('from two'));
    writeFileSync(
      join(dir, 'main.yaml'),
      stringify({
        openapi: '3.1.0',
        info: { title: 't', version: '1' },
        paths: {
          '/one': schemaGet('getOne', './one.yaml#/Thing'),
          '/two': schemaGet('getTwo', './two.yaml#/Thing'),
          '/local': schemaGet('getLocal', '#/Local'),
        },
        Local: { type: 'object', description: 'from main' },
      }),
    );
    const { tools } = openApiTools(
      'api',
      { outputSchemas: true, document: 'x' },
      await loadOpenApiDocument(join(dir, 'main.yaml')),
    );
    expect(tools.map((t) => [t.name, t.output?.description])).toEqual([
      ['getOne', 'from one'],
      ['getTwo', 'from two'],
      ['getLocal', 'from main'],
    ]);
  });

  it('a $ref with siblings keeps them per use, while its target is shared', () => {
    const d = doc(
      {
        '/a': {
          get: {
            operationId: 'getA',
            responses: jsonOk({
              type: 'object',
              properties: {
                first: { $ref: '#/components/schemas/N', description: 'the first' },
                second: { $ref: '#/components/schemas/N' },
                third: { $ref: '#/components/schemas/N', description: 'the third' },
              },
            }),
          },
        },
      },
      { schemas: { N: { type: 'integer', description: 'a number' } } },
    );
    const props = openApiTools('api', { outputSchemas: true, document: 'x' }, d).tools[0]!.output!
      .properties as Record<string, unknown>;
    expect(props).toEqual({
      first: { type: 'integer', description: 'the first' },
      second: { type: 'integer', description: 'a number' },
      third: { type: 'integer', description: 'the third' },
    });
  });
});
