import { describe, expect, it } from 'vitest';
import { ConfigError, createRecordingLogger, ManualClock } from '../../src/core/index.js';
import {
  type CacheInvalidator,
  createWebhookHandler,
  invalidate,
  MissingTemplateFieldError,
  normalizeHeaders,
  readHeader,
  PayloadTemplate,
  type PublishedWebhookEvent,
  publish,
  standardWebhooks,
  TypeRouter,
} from '../../src/webhooks/index.js';
import { NOW, SECRET, signStandard } from './helpers.js';

class RecordingCache implements CacheInvalidator {
  calls: [string, unknown][] = [];
  fail = false;
  async delete(key: string) {
    if (this.fail) throw new Error('cache down');
    this.calls.push(['delete', key]);
  }
  async invalidateTags(tags: string[]) {
    this.calls.push(['tags', tags]);
  }
  async invalidatePattern(glob: string) {
    this.calls.push(['pattern', glob]);
  }
}

describe('PayloadTemplate', () => {
  it('renders nested fields, numbers and booleans; refuses missing or non-scalar fields', () => {
    const t = new PayloadTemplate('todo:{data.id}:{data.done}');
    expect(t.render({ data: { id: 42, done: false } })).toBe('todo:42:false');
    expect(() => t.render({ data: {} })).toThrow(MissingTemplateFieldError);
    expect(() => t.render({ data: { id: { x: 1 }, done: true } })).toThrow(/data.id/);
    expect(() => t.render(null)).toThrow(MissingTemplateFieldError);
    // Inherited properties are not payload fields.
    expect(() => new PayloadTemplate('{constructor}').render({})).toThrow(MissingTemplateFieldError);
  });

  it('escapes glob characters from the payload when rendering a pattern', () => {
    const t = new PayloadTemplate('todo:{id}:*');
    expect(t.render({ id: '*' }, true)).toBe('todo:\\*:*');
    expect(t.render({ id: 'a?[b]\\' }, true)).toBe('todo:a\\?\\[b\\]\\\\:*');
  });

  it('rejects malformed templates at construction', () => {
    expect(() => new PayloadTemplate('a:{}')).toThrow(ConfigError);
    expect(() => new PayloadTemplate('a:{data.}')).toThrow(ConfigError);
    expect(() => new PayloadTemplate('a:{id')).toThrow(ConfigError);
    expect(() => new PayloadTemplate('a:id}')).toThrow(ConfigError);
  });
});

describe('TypeRouter', () => {
  it('matches exact, prefix.* and *, most specific first', () => {
    const r = new TypeRouter({ '*': 'any', 'a.*': 'a', 'a.b.*': 'ab', 'a.b.c': 'exact' });
    expect(r.match('a.b.c')).toEqual(['exact', 'ab', 'a', 'any']);
    expect(r.match('a.x')).toEqual(['a', 'any']);
    expect(r.match('a')).toEqual(['any']);
    expect(r.match('a.')).toEqual(['any']);
    expect(new TypeRouter({ 'a.*': 1 }).match('b.c')).toEqual([]);
  });

  it('refuses patterns it cannot honour', () => {
    for (const p of ['a*', '*.b', 'a.*.c', '', '.*'])
      expect(() => new TypeRouter({ [p]: 1 }), p).toThrow(ConfigError);
  });
});

describe('built-in actions through the receiver', () => {
  function setup(on: Parameters<typeof createWebhookHandler>[0]['endpoints'][number]['on']) {
    const logger = createRecordingLogger();
    const handler = createWebhookHandler({
      endpoints: [{ path: '/h', verifier: standardWebhooks({ secret: SECRET }), on }],
      logger,
      clock: new ManualClock(NOW),
    });
    const send = async (id: string, payload: unknown) => {
      const body = Buffer.from(JSON.stringify(payload));
      const r = await handler.handle({ path: '/h', headers: signStandard(id, body), body });
      return { status: r.status, json: JSON.parse(r.body) };
    };
    return { logger, send };
  }

  it('invalidates keys, tags and patterns from the payload, then publishes, in order', async () => {
    const cache = new RecordingCache();
    const published: PublishedWebhookEvent[] = [];
    const { send } = setup({
      'todo.*': [
        invalidate({
          cache,
          keys: ['todo:{data.id}'],
          tags: ['list:{data.list}'],
          patterns: ['todos:{data.list}:*'],
        }),
        publish({
          publisher: { publish: (e) => void published.push(e) },
          uris: ['todo://items/{data.id}'],
        }),
      ],
    });
    const r = await send('m1', { type: 'todo.updated', data: { id: 7, list: 'home*' } });
    expect(r.status).toBe(200);
    expect(cache.calls).toEqual([
      ['delete', 'todo:7'],
      ['tags', ['list:home*']],
      ['pattern', 'todos:home\\*:*'],
    ]);
    expect(published).toEqual([
      {
        source: 'webhook',
        endpoint: '/h',
        eventId: 'm1',
        eventType: 'todo.updated',
        uris: ['todo://items/7'],
        receivedAt: NOW,
      },
    ]);
  });

  it('skips (and logs) a template whose field is missing, still running the others', async () => {
    const cache = new RecordingCache();
    const { send, logger } = setup({ '*': invalidate({ cache, keys: ['a:{data.id}', 'b:{data.missing}'] }) });
    expect((await send('m2', { type: 'x', data: { id: 1 } })).status).toBe(200);
    expect(cache.calls).toEqual([['delete', 'a:1']]);
    expect(logger.records.find((l) => l.field === 'data.missing')).toMatchObject({
      level: 'warn',
      template: 'b:{data.missing}',
      eventId: 'm2',
    });
  });

  it('skips (and logs) a pattern whose field next to a "*" is empty: it would match every entry under the prefix', async () => {
    for (const values of ['raw', 'key'] as const) {
      const cache = new RecordingCache();
      const patterns = ['assignment:{data.id}*', 'list:*{data.id}', 'other:{data.id}:*'];
      const { send, logger } = setup({ '*': invalidate({ cache, values, patterns }) });
      expect((await send(`m-${values}`, { type: 'x', data: { id: '' } })).status).toBe(200);
      // The hole not next to a star narrows the pattern even when empty: it still runs.
      expect(cache.calls, values).toEqual([['pattern', 'other::*']]);
      const skipped = logger.records.filter((l) => l.field === 'data.id');
      expect(skipped.map((l) => l.template)).toEqual(['assignment:{data.id}*', 'list:*{data.id}']);
      expect(skipped[0]).toMatchObject({ level: 'warn', reason: 'empty' });
      // A value there still works.
      cache.calls = [];
      await send(`n-${values}`, { type: 'x', data: { id: '7' } });
      expect(cache.calls).toEqual([
        ['pattern', 'assignment:7*'],
        ['pattern', 'list:*7'],
        ['pattern', 'other:7:*'],
      ]);
    }
  });

  it('a cache failure answers 500 and the retry runs the action again', async () => {
    const cache = new RecordingCache();
    cache.fail = true;
    const { send } = setup({ '*': invalidate({ cache, keys: ['a:{id}'] }) });
    expect((await send('m3', { type: 'x', id: 'z' })).status).toBe(500);
    cache.fail = false;
    expect((await send('m3', { type: 'x', id: 'z' })).json).toEqual({ ok: true, id: 'm3' });
    expect(cache.calls).toEqual([['delete', 'a:z']]);
  });

  it('publishes the payload only when asked', async () => {
    const published: PublishedWebhookEvent[] = [];
    const { send } = setup({
      '*': publish({ publisher: { publish: async (e) => void published.push(e) }, includePayload: true }),
    });
    await send('m4', { type: 'x', n: 1 });
    expect(published[0]?.payload).toEqual({ type: 'x', n: 1 });
    expect(published[0]?.uris).toEqual([]);
  });
});

describe('header helpers', () => {
  it('normalizeHeaders lower-cases names and keeps repeats apart (rawHeaders, pairs, records)', () => {
    expect(normalizeHeaders(['Webhook-Id', 'a', 'X-Sig', '1', 'x-sig', '2'])).toEqual({
      'webhook-id': 'a',
      'x-sig': ['1', '2'],
    });
    expect(normalizeHeaders(new Headers({ 'Webhook-Id': 'a' }))).toEqual({ 'webhook-id': 'a' });
    expect(normalizeHeaders({ 'X-A': ['1'], 'x-b': undefined, 'X-C': 'c' })).toEqual({
      'x-a': '1',
      'x-c': 'c',
    });
  });

  it('readHeader tells one value from missing, empty and repeated', () => {
    expect(readHeader({ a: ' v ' }, 'a')).toEqual({ value: 'v' });
    expect(readHeader({ a: ['v'] }, 'a')).toEqual({ value: 'v' });
    expect(readHeader({}, 'a').problem).toBe('missing_header');
    expect(readHeader({ a: '' }, 'a').problem).toBe('empty_header');
    expect(readHeader({ a: ['v', 'v'] }, 'a').problem).toBe('repeated_header');
  });
});
