import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  loadOpenApiDocument,
  OpenApiError,
  openApiTools,
  parseOpenApiDocument,
} from '../../../src/config/openapi/index.js';
import { MAX_DOCUMENT_DEPTH } from '../../../src/config/openapi/document-shape.js';
import { thrown } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-deep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The root mapping is level 1, so `x-deep` holding n nested lists makes the document n + 1 deep.
const head = "openapi: 3.1.0\ninfo: { title: t, version: '1' }\npaths: {}\nx-deep: ";
const flowYaml = (n: number) => `${head}${'['.repeat(n)}${']'.repeat(n)}\n`;
const blockYaml = (n: number) =>
  `${head}\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} 1\n`;
const seqYaml = (n: number) => `${head}\n  ${'- '.repeat(n)}a\n`;
const json = (n: number) =>
  `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{},"x":${'['.repeat(n)}${']'.repeat(n)}}`;

function tooDeep(fn: () => unknown) {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(OpenApiError);
  expect(err.code).toBe('OPENAPI_DOCUMENT_INVALID');
  expect(err.message).not.toMatch(/call stack/i);
  return err.message;
}

describe('documents nested too deep are refused with a clear error, not a stack overflow', () => {
  it('YAML in flow style, block mappings and compact lists, 20 000 deep (block: 3 000), name the depth and line', () => {
    expect(tooDeep(() => parseOpenApiDocument(flowYaml(20_000), { sourceName: 'spec.yaml' }))).toMatch(
      /^spec\.yaml: the document nests 20001 levels deep \(past 256 at line 4\), with mappings and lists inside each other; at most 256 levels are allowed/,
    );
    expect(tooDeep(() => parseOpenApiDocument(blockYaml(3000)))).toMatch(
      /nests 3001 levels deep \(past 256 at line 260\)/,
    );
    expect(tooDeep(() => parseOpenApiDocument(seqYaml(20_000)))).toMatch(
      /nests 20001 levels deep \(past 256 at line 5\)/,
    );
  });

  it('JSON, 20 000 deep, parsed as JSON or as YAML', () => {
    expect(tooDeep(() => parseOpenApiDocument(json(20_000), { format: 'json' }))).toMatch(
      /nests 20001 levels deep, with mappings and lists inside each other; at most 256/,
    );
    expect(tooDeep(() => parseOpenApiDocument(json(20_000)))).toMatch(/nests 20001 levels deep \(past 256/);
  });

  it('the limit is exact: 256 levels parse, 257 do not, in every form', () => {
    const n = MAX_DOCUMENT_DEPTH - 1;
    for (const make of [flowYaml, blockYaml, seqYaml])
      expect(parseOpenApiDocument(make(n)).root['x-deep']).toBeDefined();
    expect(parseOpenApiDocument(json(n), { format: 'json' }).root.x).toBeDefined();
    for (const make of [flowYaml, blockYaml, seqYaml])
      expect(tooDeep(() => parseOpenApiDocument(make(n + 1)))).toMatch(/nests 257 levels deep/);
    expect(tooDeep(() => parseOpenApiDocument(json(n + 1), { format: 'json' }))).toMatch(/nests 257/);
  });

  it('YAML aliases that stack shallow parts into a deep value are measured once expanded', () => {
    // Each part is 99 lists deep in the text (within the limit); through the aliases c holds b holds a:
    // 3 × 99 lists under the root and x-deep mappings.
    const part = (name: string, inner: string) =>
      `${name}: &${name} ${'['.repeat(99)}${inner}${']'.repeat(99)}`;
    const text = `${head}\n  ${part('a', '1')}\n  ${part('b', '*a')}\n  ${part('c', '*b')}\n`;
    expect(tooDeep(() => parseOpenApiDocument(text))).toMatch(/nests 299 levels deep, with/);
  });

  it('files read from disk (YAML and .json) and files named by $refs get the same error', async () => {
    writeFileSync(join(dir, 'deep.yaml'), flowYaml(20_000));
    writeFileSync(join(dir, 'deep.json'), json(20_000));
    for (const file of ['deep.yaml', 'deep.json']) {
      const err = await loadOpenApiDocument(join(dir, file)).catch((e: unknown) => e as OpenApiError);
      expect(err).toBeInstanceOf(OpenApiError);
      expect((err as OpenApiError).message).toMatch(
        /deep\.(yaml|json): the document nests 20001 levels deep/,
      );
    }
    writeFileSync(join(dir, 'parts.yaml'), `Thing: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    writeFileSync(
      join(dir, 'main.yaml'),
      stringify({
        openapi: '3.1.0',
        info: { title: 't', version: '1' },
        paths: {
          '/x': {
            get: {
              operationId: 'getX',
              responses: {
                '200': {
                  description: 'ok',
                  content: { 'application/json': { schema: { $ref: './parts.yaml#/Thing' } } },
                },
              },
            },
          },
        },
      }),
    );
    const d = await loadOpenApiDocument(join(dir, 'main.yaml'));
    const err = thrown(() => openApiTools('api', { outputSchemas: true, document: 'x' }, d));
    expect(err.code).toBe('OPENAPI_REF_UNRESOLVED');
    expect(err.message).toMatch(/getX .*parts\.yaml: the document nests 20001 levels deep/);
  });

  it('a schema as deep as a tool may have (60 levels of properties) is well within the document limit', () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 60; i++) schema = { type: 'object', properties: { next: schema } };
    const text = stringify({
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: {
        '/x': {
          post: {
            operationId: 'postX',
            requestBody: { content: { 'application/json': { schema } } },
          },
        },
      },
    });
    const { tools } = openApiTools('api', { outputSchemas: true, document: 'x' }, parseOpenApiDocument(text));
    expect(tools.map((t) => t.name)).toEqual(['postX']);
  });
});
