// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the configs here spell ${ENV} references
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildJsonSchema } from '../../src/config/index.js';
import { bothCases } from '../../src/config/json-schema.js';

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
    const shutdown = schema.properties.server!.properties!.shutdownTimeout as {
      anyOf: { type?: string; $ref?: string }[];
    };
    expect(shutdown.anyOf.map((s) => s.type ?? s.$ref)).toEqual(['number', 'string', '#/$defs/envReference']);
  });
});

const ROOT = new URL('../../', import.meta.url).pathname;
const editorSchema = JSON.parse(readFileSync(join(ROOT, 'schema/conduit.schema.json'), 'utf8')) as Record<
  string,
  unknown
>;
const topLevel = new Set(Object.keys(editorSchema.properties as object));

/** Every config file under examples/ (the gateway's, not OpenAPI documents). */
function exampleConfigs(): Array<{ where: string; value: unknown }> {
  return readdirSync(join(ROOT, 'examples'))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => ({ where: `examples/${f}`, value: parse(readFileSync(join(ROOT, 'examples', f), 'utf8')) }));
}

/** Every YAML block of README.md and docs/*.md that is a config (or a top-level part of one). */
function documentedConfigs(): Array<{ where: string; value: unknown }> {
  const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)];
  const out: Array<{ where: string; value: unknown }> = [];
  for (const doc of docs) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    for (const m of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
      const value = parse(m[1] ?? '') as unknown;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      if (!Object.keys(value).every((k) => topLevel.has(k))) continue; // a fragment of a tool or the like
      const line = text.slice(0, m.index).split('\n').length;
      out.push({ where: `${doc}:${line}`, value });
    }
  }
  return out;
}

describe('the editor JSON Schema (Ajv, draft 2020-12)', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(editorSchema);
  const errorsOf = (value: unknown) =>
    validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

  it('accepts every config in examples/ and in the docs', () => {
    const configs = [...exampleConfigs(), ...documentedConfigs()];
    expect(configs.length).toBeGreaterThanOrEqual(8);
    const failures = configs
      .map((c) => ({ where: c.where, errors: errorsOf(c.value) }))
      .filter((f) => f.errors.length);
    expect(failures).toEqual([]);
  });

  it('accepts `${ENV}` in typed fields and upper-case methods, as the loader does', () => {
    const config = {
      logging: { level: '${LOG_LEVEL:-info}' },
      server: { http: { port: '${PORT}' }, shutdownTimeout: '${SHUTDOWN:-10s}' },
      upstreams: { api: { baseUrl: 'https://api.example.com' } },
      tools: [
        { name: 'get_item', upstream: 'api', method: 'GET', path: '/items' },
        { name: 'put_item', upstream: 'api', method: 'Put', path: '/items' },
      ],
    };
    expect(errorsOf(config)).toEqual([]);
  });

  it('still rejects what the loader rejects: an unknown key, a bad method, a misspelt level', () => {
    const base = { upstreams: { api: { baseUrl: 'https://api.example.com' } } };
    expect(
      errorsOf({ ...base, tools: [{ name: 't', upstream: 'api', method: 'FETCH', path: '/x' }] }),
    ).not.toEqual([]);
    expect(errorsOf({ ...base, logging: { level: 'verbose' } })).not.toEqual([]);
    expect(errorsOf({ ...base, upstream: {} })).not.toEqual([]);
    expect(errorsOf({ ...base, logging: { level: '${not valid}' } })).not.toEqual([]);
  });
});

describe('bothCases', () => {
  it('spells both cases outside escapes and adds them inside classes', () => {
    expect(bothCases('^(get|ms)\\d[a-c]$')).toBe('^([gG][eE][tT]|[mM][sS])\\d[a-cA-C]$');
    const re = new RegExp(bothCases('^(get|post)$'));
    expect(['get', 'GET', 'Post'].every((s) => re.test(s))).toBe(true);
    expect(re.test('fetch')).toBe(false);
  });
});
