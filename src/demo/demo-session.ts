import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/client';
import { type GatewayConfig, loadConfig } from '../config/index.js';
import { createLogger, importOptional, type Logger, type LogLevel, noopLogger } from '../core/index.js';
import { type AssignmentsUpstream, startAssignmentsUpstream } from './assignments-upstream.js';

export interface DemoOptions {
  /** Where each line of the narration goes (default: stdout). */
  print?: (line: string) => void;
  /** Environment: REDIS_URL switches the L2 cache on. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Gateway logs to stderr; default silent. */
  logLevel?: LogLevel;
  /** The config to run; default the bundled examples/conduit.yaml. */
  configPath?: string;
}

export interface DemoResult {
  /** True when every step behaved as narrated. */
  ok: boolean;
  steps: { title: string; ok: boolean }[];
  durationMs: number;
}

interface ToolAnswer {
  isError: boolean;
  text: string;
  structured: Record<string, unknown> | undefined;
  cache: { source?: string; layer?: string; stale?: boolean } | undefined;
  error: { code?: string; status?: number; retryAfterMs?: number } | undefined;
}

/** The TTL the demo gives `get_assignment`, short so stale answers show within the run. */
const DEMO_TTL = '2s';
const DEFAULT_CONFIG = fileURLToPath(new URL('../../examples/conduit.yaml', import.meta.url));

/**
 * `conduit demo`: starts the bundled assignments API and the gateway in front of it, then drives a
 * scripted MCP session and narrates it: cache miss then hit, an update that invalidates, upstream
 * failures and retries, the breaker opening, stale answers, recovery. Ends by itself; leaves nothing
 * running.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const env = options.env ?? process.env;
  const logger: Logger =
    options.logLevel && options.logLevel !== 'silent'
      ? createLogger({ level: options.logLevel, name: 'conduit-demo' })
      : noopLogger;
  const started = Date.now();
  const steps: DemoResult['steps'] = [];
  const token = randomBytes(12).toString('hex');
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  // Two callers with their own tokens: the demo's own client may write, a read-only agent may not.
  const operatorToken = randomBytes(16).toString('hex');
  const readerToken = randomBytes(16).toString('hex');

  let upstream: AssignmentsUpstream | undefined;
  let gateway: { close(): Promise<void>; url?: string } | undefined;
  let client: Client | undefined;
  // The MCP client is an optional peer dependency (only the demo uses it): load it before starting
  // anything, so a missing package is one clear error and nothing to clean up.
  const { Client, StreamableHTTPClientTransport } = await importOptional<
    typeof import('@modelcontextprotocol/client')
  >('@modelcontextprotocol/client', 'conduit demo');
  try {
    upstream = await startAssignmentsUpstream({
      token,
      logger: logger.child({ component: 'demo-upstream' }),
    });
    const config = await loadConfig(options.configPath ?? DEFAULT_CONFIG, {
      env: {
        ...env,
        ASSIGNMENTS_API_URL: upstream.url,
        ASSIGNMENTS_API_TOKEN: token,
        ASSIGNMENT_CACHE_TTL: DEMO_TTL,
        ASSIGNMENTS_WEBHOOK_SECRET: webhookSecret,
      },
    });
    const redisUrl = env.REDIS_URL;
    if (redisUrl) config.cache.redis = { url: redisUrl };
    const identity = addDemoIdentity(config, operatorToken, readerToken);
    const { startGateway } = await import('../mcp/index.js');
    gateway = await startGateway(config, { transport: 'http', host: '127.0.0.1', port: 0, logger });
    const gatewayBase = gateway.url!.slice(0, -config.server.http.path.length);
    const hookPath = config.webhooks?.endpoints[0]?.path;
    if (hookPath) upstream.setWebhook({ url: `${gatewayBase}${hookPath}`, secret: webhookSecret });
    client = new Client({ name: 'conduit-demo', version: config.server.version });
    const updates = new UpdateWaiter();
    client.setNotificationHandler('notifications/resources/updated', (n) => updates.push(n.params.uri));
    const asOperator = identity
      ? { requestInit: { headers: { authorization: `Bearer ${operatorToken}` } } }
      : {};
    await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url!), asOperator));

    const up = upstream;
    const mcp = client;
    const requests = () => up.stats().requests;
    const tool = config.tools.find((t) => t.name === 'get_assignment');
    const ttlMs = tool?.cache?.ttl ?? 2000;
    const retry = config.upstreams.assignments?.retry;
    const threshold = config.upstreams.assignments?.breaker?.failureThreshold ?? 5;

    print('Conduit demo: an MCP gateway in front of a flaky REST API');
    print(
      `  upstream  bundled "assignments" REST API on ${up.url} (in memory, bearer token from the environment)`,
    );
    print(
      `  gateway   MCP Streamable HTTP on ${gateway.url}, ${config.tools.length} tools from examples/conduit.yaml, ` +
        (redisUrl ? 'cache: memory (L1) + Redis (L2)' : 'cache: memory'),
    );
    print(`  client    MCP SDK client, protocol ${mcp.getNegotiatedProtocolVersion() ?? 'unknown'}`);
    print(
      `  policy    retry ${retry?.maxAttempts ?? 3} attempts; breaker opens after ${threshold} failures in a row`,
    );
    print('');

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
    const describe = (a: ToolAnswer) => {
      const s = a.structured;
      return s && typeof s.title === 'string'
        ? `"${s.title}" (${String(s.status)}, v${String(s.version)})`
        : '';
    };
    const origin = (a: ToolAnswer) =>
      a.cache?.source === 'cache'
        ? `from the cache${a.cache.layer ? ` (${a.cache.layer})` : ''}${a.cache.stale ? ', STALE' : ''}`
        : `from the upstream${a.cache?.stale ? ', STALE' : ''}`;
    const step = (title: string) => {
      print(`${steps.length + 1}. ${title}`);
      const entry = { title, ok: true };
      steps.push(entry);
      return (ok: boolean, failure: string) => {
        if (!ok) {
          entry.ok = false;
          print(`   ✗ unexpected: ${failure}`);
        }
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

    // 1. Miss, then hit.
    let check = step('Cache miss, then hit');
    let before = requests();
    let a = await call('get_assignment', { id: 'a1' });
    show('get_assignment', { id: 'a1' }, a, before);
    check(
      !a.isError && a.cache?.source === 'upstream' && requests() - before === 1,
      'the first call should go to the upstream once',
    );
    before = requests();
    a = await call('get_assignment', { id: 'a1' });
    show('get_assignment', { id: 'a1' }, a, before);
    check(
      !a.isError && a.cache?.source === 'cache' && requests() === before,
      'the second call should be a cache hit',
    );
    let lastA1Fetch = Date.now();

    // 2. Update invalidates.
    check = step('An update invalidates the cached entry');
    before = requests();
    a = await call('update_assignment', { id: 'a1', status: 'done' });
    show(
      'update_assignment',
      { id: 'a1', status: 'done' },
      a,
      before,
      '; invalidated tags assignment:a1, assignments',
    );
    check(!a.isError && a.structured?.status === 'done', 'the update should succeed');
    before = requests();
    a = await call('get_assignment', { id: 'a1' });
    lastA1Fetch = Date.now();
    show('get_assignment', { id: 'a1' }, a, before);
    check(
      !a.isError && a.cache?.source === 'upstream' && a.structured?.status === 'done',
      'after the update the entry should be fetched again, with the new status',
    );

    // 3. Failures and retries.
    check = step('The upstream starts failing (503 on every request): the gateway retries');
    up.setFault({ kind: 'error', status: 503 });
    before = requests();
    a = await call('get_assignment', { id: 'a2' });
    show(
      'get_assignment',
      { id: 'a2' },
      a,
      before,
      ` = ${requests() - before} attempts, then a tool error (isError) the model can read`,
    );
    check(
      a.isError && requests() - before === (retry?.maxAttempts ?? 3),
      'the call should fail after every attempt',
    );

    // 4. The breaker opens.
    check = step('The circuit breaker opens: calls fail fast without touching the upstream');
    let open: ToolAnswer | undefined;
    let openSeenAt = Date.now();
    for (let i = 3; i <= 12 && !open; i++) {
      const args = { id: `a${i}` };
      before = requests();
      a = await call('get_assignment', args);
      const tried = requests() - before;
      show(
        'get_assignment',
        args,
        a,
        before,
        a.error?.code === 'CIRCUIT_OPEN' && tried > 0
          ? "; the breaker opened during this call's retries"
          : '',
      );
      if (a.error?.code === 'CIRCUIT_OPEN') {
        open = a;
        openSeenAt = Date.now();
      }
    }
    const retryAfterMs = open?.error?.retryAfterMs ?? 3000;
    if (open)
      print(`     the breaker is open: the answer says to retry after ${(retryAfterMs / 1000).toFixed(1)} s`);
    check(open !== undefined, 'the breaker should have opened');
    before = requests();
    a = await call('get_assignment', { id: 'a2' });
    show('get_assignment', { id: 'a2' }, a, before);
    check(
      a.error?.code === 'CIRCUIT_OPEN' && requests() === before,
      'an open breaker should not call the upstream',
    );

    // 5. Stale answers from the cache.
    check = step('Stale data: the cache answers while the upstream is down');
    const waitMs = Math.max(0, lastA1Fetch + ttlMs + 100 - Date.now());
    print(
      `     (waiting ${(waitMs / 1000).toFixed(1)} s for the cached a1 to pass its ${ttlMs / 1000} s TTL)`,
    );
    await delay(waitMs);
    before = requests();
    a = await call('get_assignment', { id: 'a1' });
    show('get_assignment', { id: 'a1' }, a, before);
    check(!a.isError && a.cache?.stale === true, 'an expired entry should be served stale, marked in _meta');

    // 6. Recovery.
    check = step('Recovery: the upstream heals and the breaker closes after its recovery time');
    up.setFault(undefined);
    // retryAfterMs was measured when the open answer came back.
    const remaining = Math.max(0, retryAfterMs - (Date.now() - openSeenAt) + 150);
    print(
      `     upstream healthy again; waiting ${(remaining / 1000).toFixed(1)} s for the breaker to let a probe through`,
    );
    await delay(remaining);
    before = requests();
    a = await call('get_assignment', { id: 'a2' });
    show('get_assignment', { id: 'a2' }, a, before, '; the probe succeeded, the breaker is closed');
    check(
      !a.isError && a.cache?.source === 'upstream',
      'the probe call should reach the upstream and succeed',
    );
    before = requests();
    a = await call('get_assignment', { id: 'a2' });
    show('get_assignment', { id: 'a2' }, a, before);
    check(!a.isError && a.cache?.source === 'cache', 'the fresh answer should now be cached');

    // 7. A change behind the gateway's back, announced by a signed webhook.
    if (hookPath) {
      check = step(
        "Changed behind the gateway's back: a signed webhook evicts the entry and notifies subscribers",
      );
      const uri = 'assignments://a2';
      const subscribed = config.resources?.templates.some((t) => t.uriTemplate === 'assignments://{id}')
        ? await subscribe(mcp, uri)
        : undefined;
      if (subscribed) print(`   → the client subscribes to ${uri}`);
      const notified = updates.next(uri, 3000);
      const change = await up.changeBehindTheBack('a2', { title: 'Renamed in the upstream UI' });
      print(
        `   → the upstream renames a2 itself and POSTs a signed assignment.updated {"id":"a2"} to ${hookPath}: ` +
          `the gateway answered ${change.webhookStatus}`,
      );
      check(change.webhookStatus === 200, 'the gateway should accept the signed webhook');
      if (subscribed) {
        const heard = await notified;
        print(
          heard
            ? `   → the subscribed client is notified: notifications/resources/updated ${uri}`
            : `   → no notification for ${uri} within 3 s`,
        );
        check(heard, 'the subscribed client should be notified');
        await subscribed.close().catch(() => {});
      }
      before = requests();
      a = await call('get_assignment', { id: 'a2' });
      show('get_assignment', { id: 'a2' }, a, before, '; the webhook evicted the cached copy');
      check(
        !a.isError && a.cache?.source === 'upstream' && a.structured?.title === 'Renamed in the upstream UI',
        'after the webhook the entry should be fetched again, with the new title',
      );
      const scraped = config.metrics.enabled
        ? await scrapeSummary(`${gatewayBase}${config.metrics.path}`, identity ? operatorToken : undefined)
        : '';
      if (scraped) print(`   metrics at ${config.metrics.path}: ${scraped}`);
    }

    if (identity) {
      check = step('Who is calling: a read-only agent is refused a write and allowed a read');
      const reader = new Client({ name: 'demo-reader', version: config.server.version });
      await reader.connect(
        new StreamableHTTPClientTransport(new URL(gateway.url!), {
          requestInit: { headers: { authorization: `Bearer ${readerToken}` } },
        }),
      );
      try {
        const listed = (await reader.listTools()).tools.map((t) => t.name);
        print(`   → demo-reader (scope assignments.read) lists ${listed.length} tools: ${listed.join(', ')}`);
        check(!listed.includes('update_assignment'), 'the reader should not see update_assignment');
        before = requests();
        const refused = await reader.callTool({
          name: 'update_assignment',
          arguments: { id: 'a1', status: 'done' },
        });
        const code = ((refused._meta ?? {}) as Record<string, { code?: string }>)['conduit/error']?.code;
        const text = ((refused.content ?? []) as { type: string; text?: string }[])[0]?.text ?? '';
        print(`   → update_assignment as demo-reader: error ${code ?? ''}: ${firstSentence(text)}`);
        print(
          `     upstream requests: ${requests()} (${requests() === before ? 'none for this call' : `+${requests() - before}`})`,
        );
        check(
          refused.isError === true && code === 'POLICY_DENIED' && requests() === before,
          'the write should be refused before the upstream',
        );
        const allowed = await reader.callTool({ name: 'get_assignment', arguments: { id: 'a1' } });
        print(`   → get_assignment as demo-reader: ${allowed.isError ? 'error' : 'allowed'}`);
        check(allowed.isError !== true, 'the read should be allowed');
      } finally {
        await reader.close().catch(() => {});
      }
    }

    if (config.tools.some((t) => t.name === 'browse_assignments')) {
      check = step('A long list, shaped: a truncated answer and the cursor to the rest');
      const first = await mcp.callTool({ name: 'browse_assignments', arguments: {} });
      const cut = (first._meta ?? {})['conduit/truncated'] as
        | { shownItems?: number; totalItems?: number; nextCursor?: string }
        | undefined;
      const ids = (r: typeof first) =>
        (((r.structuredContent ?? {}) as { items?: { id: string }[] }).items ?? []).map((i) => i.id);
      print(
        `   → browse_assignments {}: ${ids(first).join(', ')} — ${cut?.shownItems ?? '?'} of ${cut?.totalItems ?? '?'} on the page, ` +
          `marked truncated with a cursor (${(cut?.nextCursor ?? '').slice(0, 16)}…)`,
      );
      check(
        first.isError !== true && ids(first).length === 3 && cut?.nextCursor !== undefined,
        'the answer should be cut to 3 entries and carry a cursor',
      );
      const next = cut?.nextCursor
        ? await mcp.callTool({ name: 'browse_assignments', arguments: { cursor: cut.nextCursor } })
        : undefined;
      if (next)
        print(`   → browse_assignments {cursor}: ${ids(next).join(', ')} — the next entries, none repeated`);
      check(
        next !== undefined &&
          next.isError !== true &&
          ids(next).length > 0 &&
          !ids(next).some((id) => ids(first).includes(id)),
        'the cursor should lead to the next entries',
      );
    }

    const s = up.stats();
    const ok = steps.every((x) => x.ok);
    print('');
    print(
      `${ok ? 'Done' : 'Done, with unexpected results'} in ${((Date.now() - started) / 1000).toFixed(1)} s. ` +
        `Upstream saw ${s.requests} requests (${s.faultsInjected} failed on purpose); ` +
        `the client got an answer to every call, and no protocol error.`,
    );
    return { ok, steps, durationMs: Date.now() - started };
  } finally {
    await client?.close().catch(() => {});
    await gateway?.close().catch(() => {});
    await upstream?.close();
  }
}

/** `notifications/resources/updated` URIs as they arrive; `next` waits for one, up to a deadline. */
class UpdateWaiter {
  private readonly seen = new Set<string>();
  private waiters: { uri: string; resolve: (ok: boolean) => void }[] = [];

  push(uri: string): void {
    this.seen.add(uri);
    for (const w of this.waiters.filter((x) => x.uri === uri)) w.resolve(true);
    this.waiters = this.waiters.filter((x) => x.uri !== uri);
  }

  next(uri: string, timeoutMs: number): Promise<boolean> {
    this.seen.delete(uri);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.waiters.push({
        uri,
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
      });
    });
  }
}

/** Subscribes in the connection's era: `subscriptions/listen` (2026-07-28) or `resources/subscribe`. */
async function subscribe(client: Client, uri: string): Promise<{ close(): Promise<void> }> {
  if (client.getNegotiatedProtocolVersion() === '2026-07-28')
    return client.listen({ resourceSubscriptions: [uri] });
  await client.subscribeResource({ uri });
  return { close: async () => void (await client.unsubscribeResource({ uri })) };
}

/** A one-line summary of the gateway's metrics: tool calls by outcome, webhook deliveries. */
async function scrapeSummary(url: string, token?: string): Promise<string> {
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(2000),
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
    const text = await res.text();
    const sum = (re: RegExp) => {
      const totals = new Map<string, number>();
      for (const m of text.matchAll(re)) totals.set(m[1]!, (totals.get(m[1]!) ?? 0) + Number(m[2]));
      return [...totals].map(([k, v]) => `${k} ${v}`).join(', ');
    };
    const tools = sum(/^conduit_tool_calls_total\{[^}]*outcome="([^"]+)"[^}]*\} (\S+)$/gm);
    const hooks = sum(/^conduit_webhook_deliveries_total\{[^}]*outcome="([^"]+)"[^}]*\} (\S+)$/gm);
    return `tool calls: ${tools || 'none'}; webhook deliveries: ${hooks || 'none'}`;
  } catch {
    return '';
  }
}

/**
 * The demo's identity, when the config sets none: two static tokens (the demo's own client may read
 * and write; `demo-reader` may only read) and a policy keeping the write tools to the write scope.
 */
function addDemoIdentity(config: GatewayConfig, operatorToken: string, readerToken: string): boolean {
  if (config.server.http.authTokens.length > 0 || config.server.http.auth || config.policy) return false;
  config.server.http.authTokens = [
    {
      token: operatorToken,
      sub: 'demo-operator',
      scopes: ['assignments.read', 'assignments.write'],
      claims: {},
    },
    { token: readerToken, sub: 'demo-reader', scopes: ['assignments.read'], claims: {} },
  ];
  config.policy = {
    default: 'allow',
    groupsClaim: 'groups',
    rules: [{ effect: 'allow', tools: ['create_*', 'update_*'], when: { scopes: ['assignments.write'] } }],
  };
  return true;
}

function firstSentence(text: string): string {
  const i = text.indexOf('. ');
  return i === -1 ? text : text.slice(0, i + 1);
}

function delay(ms: number): Promise<void> {
  // The demo narrates real time: the breaker and the TTL run on the real clock.
  return new Promise((resolve) => setTimeout(resolve, ms));
}
