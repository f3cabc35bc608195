import { createHmac } from 'node:crypto';

/** Standard Webhooks headers over the exact bytes of `body` (the spec's construction), signed with `key`. */
export function standardWebhookHeaders(
  id: string,
  body: Uint8Array | string,
  tsSeconds: number,
  key: Buffer,
) {
  const mac = createHmac('sha256', key).update(`${id}.${tsSeconds}.`).update(body).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(tsSeconds),
    'webhook-signature': `v1,${mac}`,
  };
}

/** An `assignment.updated` delivery for assignment `id`, signed with `key` at the current time. */
export function assignmentUpdated(eventId: string, id: string, key: Buffer) {
  const body = JSON.stringify({ type: 'assignment.updated', data: { id } });
  return { body, headers: standardWebhookHeaders(eventId, body, Math.floor(Date.now() / 1000), key) };
}
