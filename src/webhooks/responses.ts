/** What the receiver answers; the node:http listener writes it, an adapter maps it to its server. */
export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  /** A small JSON document: `{ ok, id?, duplicate?, unhandled? }` or `{ error, message }`. */
  body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export function ok(fields: Record<string, unknown>): WebhookResponse {
  return { status: 200, headers: { ...JSON_HEADERS }, body: JSON.stringify({ ok: true, ...fields }) };
}

export function failure(
  status: number,
  error: string,
  message: string,
  extraHeaders?: Record<string, string>,
): WebhookResponse {
  return {
    status,
    headers: { ...JSON_HEADERS, ...extraHeaders },
    body: JSON.stringify({ error, message }),
  };
}
