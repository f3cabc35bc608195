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

/** What tests call on a client of either SDK (answers are checked as `unknown`). */
export interface AnyClient {
  listTools(): Promise<unknown>;
  callTool(p: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** For `it.each`: the v2 client on 2026-07-28 and the v1 client, each with its name. */
export const modernAndV1: [string, (url: string) => Promise<AnyClient>][] = [
  ['v2 client, 2026-07-28', (url) => connectV2(url, 'modern') as Promise<AnyClient>],
  ['v1 client', (url) => connectV1(url) as Promise<AnyClient>],
];
