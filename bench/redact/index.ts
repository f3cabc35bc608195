/**
 * bench/redact: scrubs/s of `Redactor` over the texts it sees on hot paths (an upstream's error body,
 * a log line), with a gateway's worth of `${ENV}` values, all contenders in one process, in
 * interleaved rounds so a noisy neighbour hits all alike. Baseline: one regex of the values' literal
 * text alone (the least any scrub must do), so the ratios compare across runs and builds.
 */
import { scrubJsonLine } from '../../src/http/json-line-scrub.js';
import { escapeRegex } from '../../src/http/secret-forms.js';
import { Redactor } from '../../src/http/redact.js';
import { type ContenderResult, interleavedRounds, median, opsPerSecond, report } from '../lib.js';

const ROUNDS = Number(process.env.BENCH_REDACT_ROUNDS ?? 4);
const SLICE_MS = Number(process.env.BENCH_REDACT_SLICE_MS ?? 1000);

// A gateway's `${ENV}` values: API tokens, a password, a client secret, a tenant id, a host name.
const SECRETS = [
  'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
  'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
  'correct-horse-battery-staple',
  'Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1',
  'tenant-8c1f2a',
  'api.internal.example.com',
  'p@ss/w0rd+Grüße',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJnYXRld2F5In0.sig',
];

// An upstream's 2 KB error body: JSON with ids, a message, and an opaque base64 cursor.
const errorBody = JSON.stringify({
  error: { code: 'invalid_request', message: 'The field "customer" must reference an existing object.' },
  requestId: 'req_9f8e7d6c5b4a3210',
  cursor: Buffer.from(
    'x'.repeat(300).replace(/x/g, (_, i: number) => String.fromCharCode(33 + (i % 90))),
  ).toString('base64'),
  items: Array.from({ length: 12 }, (_, i) => ({ id: 1_000_000 + i, name: `item ${i}`, tags: ['a', 'b'] })),
}).padEnd(2048, ' ');
const logLine = `${JSON.stringify({ level: 30, time: 1765155000000, upstream: 'billing', msg: 'upstream call', status: 502, url: 'https://api.example.com/v1/charges?page=2', ms: 41.2 })}\n`;
const withSecret = `${errorBody.slice(0, 1000)} Authorization: Basic ${Buffer.from(`svc:${SECRETS[2]}`).toString('base64')} ${errorBody.slice(1000)}`;

const redactor = new Redactor([], [], SECRETS);
/** One array for every `text()` call: the redactor builds its pattern once per array. */
const NO_VALUES: readonly string[] = [];
const literal = new RegExp(SECRETS.map(escapeRegex).join('|'), 'gi');

interface Contender {
  name: string;
  fn: () => unknown;
  note?: string;
}

const contenders: Contender[] = [
  { name: 'literal regex, 2 KB clean', fn: () => literal.test(errorBody), note: 'baseline' },
  { name: 'scrub, 2 KB clean error body', fn: () => redactor.scrub(errorBody) },
  { name: 'scrub, 2 KB with Basic echo', fn: () => redactor.scrub(withSecret) },
  { name: 'text(), 2 KB clean error body', fn: () => redactor.text(errorBody, NO_VALUES) },
  { name: 'scrubJsonLine, clean log line', fn: () => scrubJsonLine(logLine, redactor) },
];

const runs = await interleavedRounds(contenders, ROUNDS, (c, round) =>
  opsPerSecond(c.fn, { durationMs: SLICE_MS, warmupMs: round === 0 ? 300 : 50, batch: 100 }),
);
const results: ContenderResult[] = contenders.map((c, i) => ({
  name: c.name,
  opsPerSec: median(runs[i]!),
  ...(c.note ? { note: c.note } : {}),
}));
console.log(`${SECRETS.length} secrets; ${ROUNDS} rounds x ${SLICE_MS} ms per contender, median`);
console.log(`Basic echo scrubbed: ${redactor.scrub(withSecret).includes('[REDACTED]')}`);
report('redact', 'literal regex, 2 KB clean', results, { rounds: ROUNDS, sliceMs: SLICE_MS });
