import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as OTLP/HTTP JSON carries it (the fields the tests read). */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
  events?: { name: string; attributes?: { key: string; value: Record<string, unknown> }[] }[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number };
}

/** The value of a span attribute as a plain JS value. */
export function attr(span: OtlpSpan, key: string): unknown {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v)
    return ((v.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map((x) => x.stringValue);
  return v;
}

/**
 * A local OTLP/HTTP traces receiver (node:http, JSON encoding): keeps every export request's headers
 * and the spans in it, with the resource's `service.name`.
 */
export async function startOtlpReceiver() {
  const requests: { headers: IncomingHttpHeaders; contentType: string | undefined }[] = [];
  const spans: (OtlpSpan & { service: string })[] = [];
  const waiters: { name: string; resolve: (s: OtlpSpan) => void }[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    requests.push({ headers: req.headers, contentType: req.headers['content-type'] });
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      resourceSpans?: {
        resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
        scopeSpans?: { spans?: OtlpSpan[] }[];
      }[];
    };
    for (const rs of body.resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? []) {
          spans.push({ ...s, service });
          for (const w of waiters.filter((x) => x.name === s.name)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(s);
          }
        }
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/v1/traces`,
    requests,
    spans,
    /** Resolves with the first span of that name (already received or still to come). */
    span(name: string): Promise<OtlpSpan> {
      const found = spans.find((s) => s.name === name);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ name, resolve }));
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
