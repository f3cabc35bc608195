import { createHmac, randomUUID } from 'node:crypto';

/** Where the demo upstream delivers its webhooks, and the Standard Webhooks secret (`whsec_…`). */
export interface WebhookTarget {
  url: string;
  secret: string;
}

/** Standard Webhooks headers for `body`: HMAC-SHA256 over `id.timestamp.body`, key from the secret. */
export function standardWebhookHeaders(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Record<string, string> {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${mac}`,
  };
}

/**
 * Sends one signed event and resolves with the receiver's status (0 when it could not be reached).
 * Waits for the answer, as real senders do before marking a delivery done.
 */
export async function sendWebhook(
  target: WebhookTarget,
  type: string,
  data: Record<string, unknown>,
  nowMs: number,
): Promise<number> {
  const id = `msg_${randomUUID()}`;
  const body = JSON.stringify({ type, timestamp: new Date(nowMs).toISOString(), data });
  try {
    const res = await fetch(target.url, {
      method: 'POST',
      headers: standardWebhookHeaders(target.secret, id, Math.floor(nowMs / 1000), body),
      body,
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
