import { describe, expect, it } from 'vitest';
import { noopLogger } from '../../src/core/index.js';
import {
  MissingTemplateFieldError,
  PayloadTemplate,
  type PublishedWebhookEvent,
  publish,
  type WebhookEvent,
} from '../../src/webhooks/index.js';

const event = (payload: unknown): WebhookEvent => ({
  endpoint: 'items',
  id: 'evt_1',
  type: 'item.updated',
  payload,
  rawBody: new Uint8Array(),
  headers: {},
  receivedAt: 0,
});

describe('resource URIs rendered from a payload', () => {
  it('percent-encode each value as one URI component, so they match what clients subscribe to', async () => {
    const seen: PublishedWebhookEvent[] = [];
    const handler = publish({
      publisher: { publish: (e) => void seen.push(e) },
      uris: ['items://{data.id}', 'items://{data.owner}/{data.id}'],
    });
    await handler(event({ data: { id: 'a b/c?d#e%', owner: 'ü' } }), {
      signal: new AbortController().signal,
      logger: noopLogger,
    });
    expect(seen[0]!.uris).toEqual(['items://a%20b%2Fc%3Fd%23e%25', 'items://%C3%BC/a%20b%2Fc%3Fd%23e%25']);
  });

  it("'uri' escaping leaves plain ids alone and 'glob' is still the pattern escape", () => {
    const t = new PayloadTemplate('items://{id}');
    expect(t.render({ id: 'abc-42_x.y~' }, 'uri')).toBe('items://abc-42_x.y~');
    expect(t.render({ id: 'a*' }, 'glob')).toBe('items://a\\*');
  });

  it('a missing field is a typed error with a stable code', () => {
    const t = new PayloadTemplate('items://{data.id}');
    let caught: unknown;
    try {
      t.render({ data: {} }, 'uri');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MissingTemplateFieldError);
    expect((caught as MissingTemplateFieldError).code).toBe('WEBHOOK_TEMPLATE_FIELD');
  });
});
