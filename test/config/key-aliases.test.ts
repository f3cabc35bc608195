import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/run.js';
import {
  buildJsonSchema,
  ConfigValidationError,
  configWarnings,
  KEY_ALIASES,
  parseConfig,
} from '../../src/config/index.js';
import { memoryIo } from '../cli/helpers.js';

const OLD_NAMES = [
  'upstreams:',
  '  api:',
  '    baseUrl: http://127.0.0.1:9',
  '    breaker:',
  '      failureThreshold: 3',
  '      recoveryTimeout: 5s',
  '      halfOpenMaxCalls: 2',
  'tools:',
  '  - { name: get_item, upstream: api, path: "/items/{id}", input: { properties: { id: {} }, required: [id] } }',
  'webhooks:',
  '  endpoints:',
  '    - path: /hooks/items',
  '      scheme: hmac',
  '      secrets: [s3cret-value-long-enough]',
  '      idField: event.id',
  '      typeField: event.kind',
  '      events: { "*": { invalidate: { tags: [items] } } }',
];
const text = `${OLD_NAMES.join('\n')}\n`;
const lineOf = (marker: string) => OLD_NAMES.findIndex((l) => l.includes(marker)) + 1;

describe('old config key names', () => {
  it('are read as the new keys, each with a warning naming the new key at its line', () => {
    const config = parseConfig(text, { format: 'yaml' });
    expect(config.upstreams.api!.breaker).toMatchObject({ recovery: 5000, halfOpenMaxConcurrent: 2 });
    expect(config.webhooks!.endpoints[0]).toMatchObject({ idPath: 'event.id', typePath: 'event.kind' });
    const warnings = configWarnings(config);
    expect(warnings.map((w) => [w.path, w.line])).toEqual([
      ['upstreams.api.breaker.recoveryTimeout', lineOf('recoveryTimeout')],
      ['upstreams.api.breaker.halfOpenMaxCalls', lineOf('halfOpenMaxCalls')],
      ['webhooks.endpoints[0].idField', lineOf('idField')],
      ['webhooks.endpoints[0].typeField', lineOf('typeField')],
    ]);
    expect(warnings[0]!.message).toMatch(/rename it to recovery\b/);
    expect(warnings[1]!.message).toMatch(/rename it to halfOpenMaxConcurrent/);
  });

  it('the new names give no warning', () => {
    const renamed = text
      .replace('recoveryTimeout', 'recovery')
      .replace('halfOpenMaxCalls', 'halfOpenMaxConcurrent')
      .replace('idField', 'idPath')
      .replace('typeField', 'typePath');
    const config = parseConfig(renamed, { format: 'yaml' });
    expect(config.upstreams.api!.breaker).toMatchObject({ recovery: 5000, halfOpenMaxConcurrent: 2 });
    expect(configWarnings(config)).toEqual([]);
  });

  it('both the old and the new name in one mapping is a problem saying which to keep', () => {
    const both = text.replace(
      '      halfOpenMaxCalls: 2',
      '      halfOpenMaxCalls: 2\n      halfOpenMaxConcurrent: 3',
    );
    let caught: unknown;
    try {
      parseConfig(both, { format: 'yaml' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigValidationError);
    const problems = (caught as ConfigValidationError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      path: 'upstreams.api.breaker.halfOpenMaxCalls',
      line: lineOf('halfOpenMaxCalls'),
    });
    expect(problems[0]!.message).toMatch(/keep only halfOpenMaxConcurrent/);
  });

  it('conduit validate accepts the file (exit 0) and prints each warning with file:line and the new key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conduit-aliases-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'old.yaml');
    writeFileSync(file, text);
    const m = memoryIo();
    expect(await runCli(['validate', '--config', file], m.io)).toBe(ExitCode.OK);
    expect(m.stdout()).toContain(
      `warning: ${file}:${lineOf('recoveryTimeout')}:7  upstreams.api.breaker.recoveryTimeout:`,
    );
    expect(m.stdout()).toMatch(/webhooks\.endpoints\[0\]\.typeField: .*rename it to typePath/);
    const json = memoryIo();
    expect(await runCli(['validate', '--config', file, '--json'], json.io)).toBe(ExitCode.OK);
    const out = JSON.parse(json.stdout()) as { ok: boolean; notes: { path: string; line?: number }[] };
    expect(out.ok).toBe(true);
    expect(out.notes.map((n) => n.line)).toEqual(
      ['recoveryTimeout', 'halfOpenMaxCalls', 'idField', 'typeField'].map(lineOf),
    );
  });

  it('the JSON Schema accepts the old names, marked deprecated', () => {
    const schema = buildJsonSchema();
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
    expect(validate(parse(text))).toBe(true);
    const json = JSON.stringify(schema);
    for (const alias of KEY_ALIASES) expect(json).toContain(`"${alias.old}":{`);
    expect(json).toContain('"deprecated":true');
  });
});
