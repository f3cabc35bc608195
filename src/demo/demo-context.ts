import type { Client } from '@modelcontextprotocol/client';
import type { GatewayConfig } from '../config/index.js';
import type { AssignmentsUpstream } from './assignments-upstream.js';
import type { UpdateWaiter } from './demo-mcp.js';

/** One tool call's answer as the narration reads it. */
export interface ToolAnswer {
  isError: boolean;
  text: string;
  structured: Record<string, unknown> | undefined;
  cache: { source?: string; layer?: string; stale?: boolean } | undefined;
  error: { code?: string; status?: number; retryAfterMs?: number } | undefined;
}

/** The MCP client package, loaded once by `runDemo` (an optional peer dependency). */
export type McpClientModule = typeof import('@modelcontextprotocol/client');

/** What the running demo offers its steps: the parts, the narration, and what earlier steps noted. */
export interface DemoContext {
  print(line: string): void;
  config: GatewayConfig;
  up: AssignmentsUpstream;
  mcp: Client;
  sdk: Pick<McpClientModule, 'Client' | 'StreamableHTTPClientTransport'>;
  gatewayUrl: string;
  /** The gateway's origin, for the webhook and metrics paths. */
  gatewayBase: string;
  hookPath: string | undefined;
  /** Whether the demo added its own tokens and policy (see `addDemoIdentity`). */
  identity: boolean;
  operatorToken: string;
  readerToken: string;
  updates: UpdateWaiter;
  ttlMs: number;
  maxAttempts: number;
  /** Requests the upstream has seen so far. */
  requests(): number;
  call(name: string, args: Record<string, unknown>): Promise<ToolAnswer>;
  /** Narrates one call: its answer, and how many upstream requests it cost since `before`. */
  show(name: string, args: Record<string, unknown>, a: ToolAnswer, before: number, extra?: string): void;
  /** Times and hints later steps wait on (real time: the TTL and the breaker run on the real clock). */
  marks: { lastA1Fetch: number; openSeenAt: number; retryAfterMs: number };
}

/** The context's calls and narration over one connected client. */
export function demoCalls(
  mcp: Client,
  up: AssignmentsUpstream,
  print: (line: string) => void,
): Pick<DemoContext, 'requests' | 'call' | 'show'> {
  const requests = () => up.stats().requests;
  const call = async (name: string, args: Record<string, unknown>): Promise<ToolAnswer> => {
    const result = await mcp.callTool({ name, arguments: args });
    const meta = (result._meta ?? {}) as Record<string, unknown>;
    const content = (result.content ?? []) as { type: string; text?: string }[];
    return {
      isError: result.isError === true,
      text: content.find((c) => c.type === 'text')?.text ?? '',
      structured: result.structuredContent as Record<string, unknown> | undefined,
      cache: meta['conduit/cache'] as ToolAnswer['cache'],
      error: meta['conduit/error'] as ToolAnswer['error'],
    };
  };
  const show = (name: string, args: Record<string, unknown>, a: ToolAnswer, before: number, extra = '') => {
    const n = requests() - before;
    const what = a.isError
      ? `error ${a.error?.code ?? ''}: ${firstSentence(a.text)}`
      : `${describe(a)} ${origin(a)}`;
    print(`   → ${name} ${JSON.stringify(args)}: ${what}`);
    print(`     upstream requests: ${requests()} (${n === 0 ? 'none for this call' : `+${n}`})${extra}`);
  };
  return { requests, call, show };
}

function describe(a: ToolAnswer): string {
  const s = a.structured;
  return s && typeof s.title === 'string' ? `"${s.title}" (${String(s.status)}, v${String(s.version)})` : '';
}

function origin(a: ToolAnswer): string {
  return a.cache?.source === 'cache'
    ? `from the cache${a.cache.layer ? ` (${a.cache.layer})` : ''}${a.cache.stale ? ', STALE' : ''}`
    : `from the upstream${a.cache?.stale ? ', STALE' : ''}`;
}

export function firstSentence(text: string): string {
  const i = text.indexOf('. ');
  return i === -1 ? text : text.slice(0, i + 1);
}

export function delay(ms: number): Promise<void> {
  // The demo narrates real time: the breaker and the TTL run on the real clock.
  return new Promise((resolve) => setTimeout(resolve, ms));
}
