import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/run.js';
import { WIRE_SPEC } from '../mcp/helpers/wire-upstream.js';
import { memoryIo } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'conduit-validate-templates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const spec = join(dir, 'items.openapi.yaml');
writeFileSync(spec, WIRE_SPEC);

/** Writes `lines` as a config, runs `conduit validate`, returns the exit code and output. */
async function validate(name: string, lines: string[]) {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const m = memoryIo();
  const code = await runCli(['validate', '--config', file], m.io);
  /** `file:<line of the first line containing marker>:` — where a problem must be reported. */
  const at = (marker: string) => `${file}:${lines.findIndex((l) => l.includes(marker)) + 1}:`;
  return { code, out: m.stdout(), at };
}

const TOOL = [
  'upstreams:',
  '  api: { baseUrl: "http://127.0.0.1:9" }',
  'tools:',
  '  - name: get_assignment',
  '    upstream: api',
  '    path: /assignments/{id}',
  '    input: { type: object, properties: { id: { type: integer } }, required: [id] }',
];

describe('conduit validate: resource templates', () => {
  it('an unknown tool, a variable the tool cannot take, a required input the URI does not give — each at its line, with hints', async () => {
    const { code, out, at } = await validate('hand-written.yaml', [
      ...TOOL,
      'resources:',
      '  templates:',
      '    - uriTemplate: "a://{id}"',
      '      name: a',
      '      tool: get_asignment',
      '    - uriTemplate: "b://{idd}"',
      '      name: b',
      '      tool: get_assignment',
      '    - { uriTemplate: "c://{id}", name: c, tool: get_assignment, upstream: api, operation: x }',
      '    - { uriTemplate: "d://{id}", name: d, upstream: api, operation: getItem }',
      '    - { uriTemplate: "e://{id}", name: e, upstream: nope, operation: getItem }',
    ]);
    expect(code).toBe(ExitCode.CONFIG);
    expect(out).toContain(`${at('tool: get_asignment')}`);
    expect(out).toMatch(
      /resources\.templates\[0\]\.tool: no tool named "get_asignment" \(did you mean "get_assignment"\?\)/,
    );
    expect(out).toContain(`${at('b://{idd}')}`);
    expect(out).toMatch(
      /resources\.templates\[1\]\.uriTemplate: \{idd\} is not an input of tool get_assignment \(did you mean \{id\}\?\)/,
    );
    expect(out).toMatch(
      /resources\.templates\[1\]\.uriTemplate: tool get_assignment requires input "id", which the template does not give/,
    );
    expect(out).toMatch(
      /resources\.templates\[2\]: give either tool .* or upstream and operation .*, not both/,
    );
    expect(out).toMatch(/resources\.templates\[3\]\.upstream: upstream "api" has no openapi section/);
    expect(out).toMatch(/resources\.templates\[4\]\.upstream: no upstream named "nope"/);
    expect(out).toMatch(/: 6 problems/);
  });

  it('a variable filling an object or array input is refused at its line: a read could never give one', async () => {
    const { code, out, at } = await validate('structured-inputs.yaml', [
      'upstreams:',
      '  api: { baseUrl: "http://127.0.0.1:9" }',
      'tools:',
      '  - name: search',
      '    upstream: api',
      '    path: /search',
      '    input: { type: object, properties: { q: { type: string }, tags: { type: array, items: { type: string } }, filter: { type: object } } }',
      'resources:',
      '  templates:',
      '    - { uriTemplate: "tagged://{q}{?tags}", name: tagged, tool: search }',
      '    - { uriTemplate: "filtered://{q}/{filter}", name: filtered, tool: search }',
    ]);
    expect(code).toBe(ExitCode.CONFIG);
    expect(out).toContain(`${at('tagged://')}`);
    expect(out).toMatch(
      /resources\.templates\[0\]\.uriTemplate: \{tags\} fills input "tags" of tool search, which is an array/,
    );
    expect(out).toMatch(
      /resources\.templates\[1\]\.uriTemplate: \{filter\} fills input "filter" of tool search, which is an object/,
    );
  });

  it('operations and generated tools are checked once the document is read, still at their line', async () => {
    const { code, out, at } = await validate('openapi.yaml', [
      'upstreams:',
      '  items:',
      '    baseUrl: "http://127.0.0.1:9"',
      `    openapi: { document: ${spec}, mode: compact }`,
      '  more:',
      '    baseUrl: "http://127.0.0.1:9"',
      `    openapi: { document: ${spec}, toolPrefix: more_ }`,
      'resources:',
      '  templates:',
      '    - uriTemplate: "items://{id}"',
      '      name: item',
      '      upstream: items',
      '      operation: getItm',
      '    - { uriTemplate: "more://{id}", name: more, tool: more_getItm }',
      '    - { uriTemplate: "tags://{id}/{tag}", name: tags, upstream: items, operation: addTags }',
    ]);
    expect(code).toBe(ExitCode.CONFIG);
    expect(out).toContain(`${at('operation: getItm')}`);
    expect(out).toMatch(
      /resources\.templates\[0\]\.operation: upstream "items" serves no operation "getItm" \(did you mean "getItem"\?\)/,
    );
    expect(out).toMatch(
      /resources\.templates\[1\]\.tool: no tool named "more_getItm" \(did you mean "more_getItem"\?\)/,
    );
    // addTags takes id and body: {tag} is not an input, and the required body cannot come from a URI.
    expect(out).toMatch(
      /resources\.templates\[2\]\.uriTemplate: \{tag\} is not an input of operation addTags of items/,
    );
    expect(out).toMatch(/operation addTags of items requires input "body", which the template does not give/);
  });

  it('a template that fits its operation or generated tool validates', async () => {
    const { code, out } = await validate('good.yaml', [
      'upstreams:',
      '  items:',
      '    baseUrl: "http://127.0.0.1:9"',
      `    openapi: { document: ${spec}, mode: compact }`,
      '  more:',
      '    baseUrl: "http://127.0.0.1:9"',
      `    openapi: { document: ${spec}, toolPrefix: more_ }`,
      'resources:',
      '  templates:',
      '    - { uriTemplate: "items://{id}", name: item, upstream: items, operation: getItem }',
      '    - { uriTemplate: "more://{id}", name: more, tool: more_getItem }',
    ]);
    expect(out).toMatch(/: valid/);
    expect(code).toBe(ExitCode.OK);
  });
});

describe('conduit validate: params object forms', () => {
  it('explode, json and whole only where they mean something; one whole body, alone', async () => {
    const { code, out, at } = await validate('params.yaml', [
      'upstreams:',
      '  api: { baseUrl: "http://127.0.0.1:9" }',
      'tools:',
      '  - name: bad',
      '    upstream: api',
      '    method: POST',
      '    path: /x/{id}',
      '    input:',
      '      type: object',
      '      properties: { id: { type: string }, ids: { type: string }, a: { type: array }, b: { type: array }, n: {} }',
      '      required: [id]',
      '    params:',
      '      id: { in: path, explode: false }',
      '      ids: { in: query, explode: false }',
      '      a: { in: body, whole: true }',
      '      b: { in: body, whole: true, json: true }',
      '      n: { in: header, whole: true }',
      '  - name: good',
      '    upstream: api',
      '    method: POST',
      '    path: /y',
      '    input: { type: object, properties: { ids: { type: array }, items: { type: array } } }',
      '    params: { ids: { in: query, explode: false }, items: { in: body, whole: true } }',
    ]);
    expect(code).toBe(ExitCode.CONFIG);
    expect(out).toContain(`${at('id: { in: path, explode: false }')}`);
    expect(out).toMatch(
      /tools\[0\]\.params\.id\.explode: explode applies to query arrays only; "id" goes to path/,
    );
    expect(out).toMatch(/tools\[0\]\.params\.ids\.explode: explode applies to arrays; .* "string"/);
    expect(out).toMatch(/tools\[0\]\.params\.b\.json: the body is JSON already/);
    expect(out).toMatch(
      /tools\[0\]\.params\.b\.whole: only one property can be the whole body; "a" already is/,
    );
    expect(out).toMatch(/tools\[0\]\.params\.n\.whole: whole applies to the body only; "n" goes to header/);
    expect(out).not.toMatch(/tools\[1\]/);
  });
});

describe('conduit validate: a whole body leaves no room for defaulted body properties', () => {
  it('a property without a params entry would go to the body of a POST: reported at the whole entry', async () => {
    const { code, out, at } = await validate('whole-default.yaml', [
      'upstreams:',
      '  api: { baseUrl: "http://127.0.0.1:9" }',
      'tools:',
      '  - name: add_items',
      '    upstream: api',
      '    method: POST',
      '    path: /items',
      '    input: { type: object, properties: { items: { type: array }, note: { type: string } } }',
      '    params:',
      '      items: { in: body, whole: true }',
      '  - name: add_items_noted',
      '    upstream: api',
      '    method: POST',
      '    path: /items',
      '    input: { type: object, properties: { items: { type: array }, note: { type: string } } }',
      '    params: { items: { in: body, whole: true }, note: query }',
    ]);
    expect(code).toBe(ExitCode.CONFIG);
    expect(out).toContain(at('items: { in: body, whole: true }'));
    expect(out).toMatch(
      /tools\[0\]\.params\.items\.whole: "items" is the whole body, so "note" cannot go to the body too \(a property without a params entry goes to the body of this method\)/,
    );
    expect(out).not.toMatch(/tools\[1\]/);
  });
});

describe('conduit validate: a cache key or tag hole that is not a whole argument', () => {
  it('a dotted hole says tool templates take whole arguments, naming the one to use; a typo gets a did-you-mean', async () => {
    const { code, out, at } = await validate('dotted-hole.yaml', [
      ...TOOL,
      '    cache: { ttl: 60s, key: "assignment:{id.x}", tags: ["a:{c.d}", "b:{ids}"] }',
    ]);
    expect(code).toBe(ExitCode.CONFIG);
    expect(out).toContain(
      `${at('key:')}29  tools[0].cache.key: {id.x} reads a field of the argument "id": tool templates take whole arguments by name (dotted paths are for webhook templates); use {id}`,
    );
    expect(out).toMatch(
      /tools\[0\]\.cache\.tags\[0\]: \{c\.d\} is not an input property of this tool: tool templates take whole arguments by name \(dotted paths are for webhook templates\); its arguments are \{id\}/,
    );
    expect(out).toContain(
      'tools[0].cache.tags[1]: {ids} is not an input property of this tool (did you mean {id}?)',
    );
  });
});
