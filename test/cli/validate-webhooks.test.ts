// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these configs write ${VAR} references on purpose
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/run.js';
import { createRecordingLogger } from '../../src/core/index.js';
import { parseConfig } from '../../src/config/index.js';
import { logConfigNotes } from '../../src/mcp/gateway/config-notes.js';
import { memoryIo } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'conduit-validate-webhooks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `lines` as a config, runs `conduit validate` with `env`, returns the exit code and output. */
async function validate(name: string, lines: string[], env: Record<string, string> = {}) {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const m = memoryIo(env);
  const code = await runCli(['validate', '--config', file], m.io);
  /** `file:<line of the first line containing marker>:` — where a warning must be reported. */
  const at = (marker: string) => `${file}:${lines.findIndex((l) => l.includes(marker)) + 1}:`;
  return { code, out: m.stdout(), at };
}

const BASE = [
  'upstreams:',
  '  api: { baseUrl: "http://127.0.0.1:9" }',
  'tools:',
  '  - name: get_assignment',
  '    upstream: api',
  '    path: "/assignments/{id}"',
  '    input: { type: object, properties: { id: { type: string } }, required: [id] }',
  '    cache: { ttl: 1m }',
  'webhooks:',
  '  endpoints:',
];

const endpoint = (path: string, secret: string, invalidate: string) => [
  `    - path: ${path}`,
  '      scheme: standard',
  `      secrets: ["${secret}"]`,
  '      events:',
  `        "assignment.*": { invalidate: ${invalidate} }`,
];

describe('conduit validate: webhook templates a sender could aim anywhere', () => {
  it('warns, at its line, of a key or tag that is a whole payload field, saying what it allows and the fix', async () => {
    const { code, out, at } = await validate(
      'whole-field.yaml',
      [...BASE, ...endpoint('/hooks/a', '${HOOK_A}', "{ tags: ['{data.tag}'], keys: ['{data.key}'] }")],
      { HOOK_A: 'whsec_one' },
    );
    expect(code).toBe(ExitCode.OK);
    const lines = out.split('\n').filter((l) => l.includes('warning:'));
    expect(lines).toHaveLength(2);
    const keyLine = lines.find((l) => l.includes('.keys[0]')) ?? '';
    const tagLine = lines.find((l) => l.includes('.tags[0]')) ?? '';
    expect(keyLine).toContain(`${at('{data.key}')}`);
    expect(keyLine).toContain('webhooks.endpoints[0].events["assignment.*"].invalidate.keys[0]');
    expect(keyLine).toContain('"{data.key}"');
    expect(keyLine).toContain("another upstream's entries");
    expect(keyLine).toContain('assignment:{data.key}');
    expect(tagLine).toContain('invalidate.tags[0]');
  });

  it('warns of a pattern whose field is followed by "*", and leaves prefixed templates alone', async () => {
    const { code, out } = await validate(
      'star.yaml',
      [
        ...BASE,
        ...endpoint(
          '/hooks/a',
          '${HOOK_A}',
          "{ keys: ['assignment:{data.id}'], tags: ['list:{data.list}'], patterns: ['assignment:{data.id}*', 'list:{data.list}:*'] }",
        ),
      ],
      { HOOK_A: 'whsec_one' },
    );
    expect(code).toBe(ExitCode.OK);
    const lines = out.split('\n').filter((l) => l.includes('warning:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('invalidate.patterns[0]');
    expect(lines[0]).toContain('"assignment:{data.id}*"');
    expect(lines[0]).toContain('assignment:{data.id}:*');
  });
});

describe('conduit validate: webhook endpoints sharing a secret', () => {
  const twoEndpoints = [
    ...BASE,
    ...endpoint('/hooks/a', '${HOOK_A}', "{ keys: ['assignment:{data.id}'] }"),
    ...endpoint('/hooks/b', '${HOOK_B}', "{ keys: ['assignment:{data.id}'] }"),
  ];

  it('warns when two endpoints verify with one secret value, naming the variables, never the value', async () => {
    const { code, out, at } = await validate('shared.yaml', twoEndpoints, {
      HOOK_A: 'whsec_shared_value',
      HOOK_B: 'whsec_shared_value',
    });
    expect(code).toBe(ExitCode.OK);
    const lines = out.split('\n').filter((l) => l.includes('warning:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(at('${HOOK_B}'));
    expect(lines[0]).toContain('webhooks.endpoints[1].secrets[0]');
    expect(lines[0]).toContain('endpoints[0]');
    expect(lines[0]).toContain('HOOK_A');
    expect(lines[0]).toContain('HOOK_B');
    expect(out).not.toContain('whsec_shared_value');
  });

  it('says nothing of endpoints with secrets of their own', async () => {
    const { out } = await validate('apart.yaml', twoEndpoints, { HOOK_A: 'whsec_a', HOOK_B: 'whsec_b' });
    expect(out).not.toContain('warning:');
  });
});

describe('the gateway at start logs the same warnings, and starts', () => {
  it('one warn line per template and shared secret, without the secret', () => {
    const text = [
      ...BASE,
      ...endpoint('/hooks/a', '${HOOK_A}', "{ tags: ['{data.tag}'] }"),
      ...endpoint('/hooks/b', '${HOOK_B}', "{ keys: ['assignment:{data.id}'] }"),
    ].join('\n');
    const config = parseConfig(text, { env: { HOOK_A: 'whsec_same', HOOK_B: 'whsec_same' } });
    const logger = createRecordingLogger();
    logConfigNotes(config, logger);
    const warnings = logger.records.filter((r) => r.level === 'warn');
    expect(warnings.map((r) => r.path)).toEqual([
      'webhooks.endpoints[0].events["assignment.*"].invalidate.tags[0]',
      'webhooks.endpoints[1].secrets[0]',
    ]);
    expect(JSON.stringify(logger.records)).not.toContain('whsec_same');
  });
});
