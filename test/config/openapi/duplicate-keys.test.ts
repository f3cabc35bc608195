import { describe, expect, it } from 'vitest';
import { LineCounter, Parser, Composer } from 'yaml';
import { OpenApiError, parseOpenApiDocument } from '../../../src/config/openapi/index.js';
import { scanDuplicateKeys } from '../../../src/config/openapi/duplicate-keys.js';
import { thrown } from './helpers.js';

const head = "openapi: 3.1.0\ninfo: { title: t, version: '1' }\npaths: {}\n";

/** One mapping of `n` keys in block style under `x-wide`; `repeat` adds a copy of key 0 at the end. */
function wideBlock(n: number, repeat = false): string {
  const lines = Array.from({ length: n }, (_, i) => `  key${i}: ${i}`);
  if (repeat) lines.push('  key0: again');
  return `${head}x-wide:\n${lines.join('\n')}\n`;
}

/** The same in flow style, on one line: `{key0: 0, key1: 1, …}`. */
function wideFlow(n: number, repeat = false): string {
  const items = Array.from({ length: n }, (_, i) => `key${i}: ${i}`);
  if (repeat) items.push('key0: again');
  return `${head}x-wide: {${items.join(', ')}}\n`;
}

function composed(text: string) {
  const tokens = [...new Parser(new LineCounter().addNewLine).parse(text)];
  return [...new Composer({ uniqueKeys: false }).compose(tokens, true, text.length)][0]!;
}

describe('duplicate keys in a third-party YAML document', () => {
  it('one pass looks at each key once, so a mapping of 40 000 keys costs 40 000 looks, not 800 million', () => {
    const n = 40_000;
    const scan = scanDuplicateKeys(composed(wideBlock(n)));
    expect(scan.duplicate).toBeUndefined();
    // The root's own four keys (openapi, info, paths, x-wide), info's two and the wide mapping's.
    expect(scan.keysSeen).toBe(4 + 2 + n);
    expect(scanDuplicateKeys(composed(wideFlow(n, true))).keysSeen).toBe(4 + 2 + n + 1);
  });

  it('40 000 distinct keys in one mapping parse, in block and flow style', () => {
    for (const text of [wideBlock(40_000), wideFlow(40_000)]) {
      const wide = parseOpenApiDocument(text).root['x-wide'] as Record<string, number>;
      expect(Object.keys(wide)).toHaveLength(40_000);
      expect(wide.key39999).toBe(39_999);
    }
  });

  it('a key repeated after 40 000 others is a typed error naming the key and its line', () => {
    const err = thrown(() => parseOpenApiDocument(wideBlock(40_000, true), { sourceName: 'wide.yaml' }));
    expect(err).toBeInstanceOf(OpenApiError);
    expect(err.code).toBe('OPENAPI_DOCUMENT_INVALID');
    expect(err.message).toContain('wide.yaml');
    expect(err.message).toContain('"key0"');
    expect(err.message).toContain(`line ${4 + 40_000 + 1}`);
    const flow = thrown(() => parseOpenApiDocument(wideFlow(40_000, true)));
    expect(flow.code).toBe('OPENAPI_DOCUMENT_INVALID');
    expect(flow.message).toContain('line 4');
  });

  it('keys are equal as YAML counts them: the same scalar value, not the same text; nested maps have their own', () => {
    expect(thrown(() => parseOpenApiDocument(`${head}x: { 'a': 1, "a": 2 }\n`)).code).toBe(
      'OPENAPI_DOCUMENT_INVALID',
    );
    // 1 (a number) and '1' (a string) are two keys; a key may repeat in another mapping.
    const ok = parseOpenApiDocument(`${head}x: { 1: a, '1': b }\ny: { a: { b: 1 }, c: { b: 2 } }\n`);
    expect(ok.root.y).toEqual({ a: { b: 1 }, c: { b: 2 } });
    const deep = thrown(() => parseOpenApiDocument(`${head}y:\n  a:\n    b: 1\n    c: 2\n    b: 3\n`));
    expect(deep.code).toBe('OPENAPI_DOCUMENT_INVALID');
    expect(deep.message).toContain('line 8');
  });
});
