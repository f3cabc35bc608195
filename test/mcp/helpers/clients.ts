import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export type Era = 'legacy' | 'modern';

/** A v2 SDK client over Streamable HTTP: `legacy` speaks the 2025 handshake, `modern` 2026-07-28. */
export async function connectV2(url: string, era: Era, headers: Record<string, string> = {}) {
  const client = new Client(
    { name: 'conduit-test', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

/** The v1 SDK client (@modelcontextprotocol/sdk 1.x) over Streamable HTTP. */
export async function connectV1(url: string, headers: Record<string, string> = {}) {
  const client = new ClientV1({ name: 'conduit-test-v1', version: '1.0.0' });
  const transport = new TransportV1(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

/** The first text block of a tool result. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.find((c) => c.type === 'text')?.text ?? '';
}
