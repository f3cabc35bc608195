import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../http/server.js';
import { type RedisHandle, startRedis } from '../helpers/redis-server.js';
import { blockFileName, type DocBlock, docFiles, extractBlocks } from './code-blocks.js';
import { startDocUpstream } from './doc-upstream.js';
import { compileForRuns, type RunSetup, runBlock, runProblem } from './run-block.js';
import { typecheckBlocks } from './typecheck-blocks.js';

const ROOT = resolve(new URL('../../', import.meta.url).pathname);
const DIR = join(ROOT, '.tmp', 'doc-blocks');
const blocks: DocBlock[] = docFiles(ROOT).flatMap((f) => extractBlocks(ROOT, f));
const runnable = blocks.filter((b) => !b.noRun);

const LIMIT_MS = 30_000;
let upstream: TestServer;
let redis: RedisHandle;
let setup: RunSetup;

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(join(DIR, 'run'), { recursive: true });
  mkdirSync(join(DIR, 'cwd'), { recursive: true });
  // Each block is its own module (top-level await, no name clashes); the line numbers stay the doc's.
  for (const b of blocks) writeFileSync(join(DIR, blockFileName(b)), `${b.code}\nexport {};\n`);
  // Samples run where a user's project would be: a conduit.yaml and the package's examples.
  copyFileSync(join(ROOT, 'examples', 'conduit.yaml'), join(DIR, 'cwd', 'conduit.yaml'));
  symlinkSync(join(ROOT, 'examples'), join(DIR, 'cwd', 'examples'));
  [upstream, redis] = await Promise.all([startDocUpstream(), startRedis()]);
  setup = {
    root: ROOT,
    dir: join(DIR, 'run'),
    cwd: join(DIR, 'cwd'),
    replace: [
      ['https://api.example.com', upstream.url],
      ['https://api.github.com', upstream.url],
      ['http://127.0.0.1:4010', upstream.url],
      ['redis://127.0.0.1:6379', redis.url],
    ],
    env: {
      GITHUB_TOKEN: 'doc-token',
      API_KEY: 'doc-key',
      STRIPE_WEBHOOK_SECRET: 'whsec_doc',
      GH_SECRET: 'doc-secret',
      ASSIGNMENTS_API_URL: upstream.url,
      REDIS_URL: redis.url,
    },
    limitMs: LIMIT_MS,
  };
  await compileForRuns(runnable, setup);
}, 60_000);

afterAll(async () => {
  await Promise.all([upstream?.close(), redis?.stop()]);
});

describe('TypeScript blocks in README.md and docs/*.md', () => {
  it('are found, and every no-run marker says why', () => {
    expect(blocks.length).toBeGreaterThan(20);
    expect(
      blocks.filter((b) => b.markerProblem).map((b) => `${b.file}:${b.line}: ${b.markerProblem}`),
    ).toEqual([]);
  });

  for (const resolution of ['nodenext', 'bundler'] as const) {
    it(`type-check strict with moduleResolution ${resolution} against the package's types`, () => {
      const problems = typecheckBlocks(ROOT, DIR, blocks, resolution);
      expect(problems, `\n${problems.join('\n')}\n`).toEqual([]);
    }, 120_000);
  }
});

describe('runnable TypeScript blocks (all but those marked no-run)', () => {
  for (const b of runnable) {
    it.concurrent(
      `${b.file}:${b.line} runs against local servers and ends by itself`,
      async () => {
        const r = await runBlock(b, setup);
        const problem = runProblem(b, r, LIMIT_MS);
        expect(problem, problem).toBeUndefined();
      },
      LIMIT_MS + 10_000,
    );
  }
});
