import { type DemoContext, delay, firstSentence, type ToolAnswer } from './demo-context.js';
import { scrapeSummary, subscribe } from './demo-mcp.js';

/** Records a step's unexpected result: marks the step failed and narrates `failure` when `ok` is false. */
export type Check = (ok: boolean, failure: string) => void;

/** One narrated step of `conduit demo`: run in table order, numbered as run, skipped when it does not apply. */
export interface DemoStep {
  title: string;
  /** Whether the config has what the step shows (default: always). */
  applies?(c: DemoContext): boolean;
  run(c: DemoContext, check: Check): Promise<void>;
}

const missThenHit: DemoStep = {
  title: 'Cache miss, then hit',
  async run(c, check) {
    let before = c.requests();
    let a = await c.call('get_assignment', { id: 'a1' });
    c.show('get_assignment', { id: 'a1' }, a, before);
    check(
      !a.isError && a.cache?.source === 'upstream' && c.requests() - before === 1,
      'the first call should go to the upstream once',
    );
    before = c.requests();
    a = await c.call('get_assignment', { id: 'a1' });
    c.show('get_assignment', { id: 'a1' }, a, before);
    check(
      !a.isError && a.cache?.source === 'cache' && c.requests() === before,
      'the second call should be a cache hit',
    );
    c.marks.lastA1Fetch = Date.now();
  },
};

const updateInvalidates: DemoStep = {
  title: 'An update invalidates the cached entry',
  async run(c, check) {
    let before = c.requests();
    let a = await c.call('update_assignment', { id: 'a1', status: 'done' });
    c.show(
      'update_assignment',
      { id: 'a1', status: 'done' },
      a,
      before,
      '; invalidated tags assignment:a1, assignments',
    );
    check(!a.isError && a.structured?.status === 'done', 'the update should succeed');
    before = c.requests();
    a = await c.call('get_assignment', { id: 'a1' });
    c.marks.lastA1Fetch = Date.now();
    c.show('get_assignment', { id: 'a1' }, a, before);
    check(
      !a.isError && a.cache?.source === 'upstream' && a.structured?.status === 'done',
      'after the update the entry should be fetched again, with the new status',
    );
  },
};

const failuresAndRetries: DemoStep = {
  title: 'The upstream starts failing (503 on every request): the gateway retries',
  async run(c, check) {
    c.up.setFault({ kind: 'error', status: 503 });
    const before = c.requests();
    const a = await c.call('get_assignment', { id: 'a2' });
    c.show(
      'get_assignment',
      { id: 'a2' },
      a,
      before,
      ` = ${c.requests() - before} attempts, then a tool error (isError) the model can read`,
    );
    check(a.isError && c.requests() - before === c.maxAttempts, 'the call should fail after every attempt');
  },
};

const breakerOpens: DemoStep = {
  title: 'The circuit breaker opens: calls fail fast without touching the upstream',
  async run(c, check) {
    let open: ToolAnswer | undefined;
    c.marks.openSeenAt = Date.now();
    for (let i = 3; i <= 12 && !open; i++) {
      const args = { id: `a${i}` };
      const before = c.requests();
      const a = await c.call('get_assignment', args);
      const tried = c.requests() - before;
      c.show(
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
        c.marks.openSeenAt = Date.now();
      }
    }
    c.marks.retryAfterMs = open?.error?.retryAfterMs ?? 3000;
    if (open)
      c.print(
        `     the breaker is open: the answer says to retry after ${(c.marks.retryAfterMs / 1000).toFixed(1)} s`,
      );
    check(open !== undefined, 'the breaker should have opened');
    const before = c.requests();
    const a = await c.call('get_assignment', { id: 'a2' });
    c.show('get_assignment', { id: 'a2' }, a, before);
    check(
      a.error?.code === 'CIRCUIT_OPEN' && c.requests() === before,
      'an open breaker should not call the upstream',
    );
  },
};

const staleWhileDown: DemoStep = {
  title: 'Stale data: the cache answers while the upstream is down',
  async run(c, check) {
    const waitMs = Math.max(0, c.marks.lastA1Fetch + c.ttlMs + 100 - Date.now());
    c.print(
      `     (waiting ${(waitMs / 1000).toFixed(1)} s for the cached a1 to pass its ${c.ttlMs / 1000} s TTL)`,
    );
    await delay(waitMs);
    const before = c.requests();
    const a = await c.call('get_assignment', { id: 'a1' });
    c.show('get_assignment', { id: 'a1' }, a, before);
    check(!a.isError && a.cache?.stale === true, 'an expired entry should be served stale, marked in _meta');
  },
};

const recovery: DemoStep = {
  title: 'Recovery: the upstream heals and the breaker closes after its recovery time',
  async run(c, check) {
    c.up.setFault(undefined);
    // retryAfterMs was measured when the open answer came back.
    const remaining = Math.max(0, c.marks.retryAfterMs - (Date.now() - c.marks.openSeenAt) + 150);
    c.print(
      `     upstream healthy again; waiting ${(remaining / 1000).toFixed(1)} s for the breaker to let a probe through`,
    );
    await delay(remaining);
    let before = c.requests();
    let a = await c.call('get_assignment', { id: 'a2' });
    c.show('get_assignment', { id: 'a2' }, a, before, '; the probe succeeded, the breaker is closed');
    check(
      !a.isError && a.cache?.source === 'upstream',
      'the probe call should reach the upstream and succeed',
    );
    before = c.requests();
    a = await c.call('get_assignment', { id: 'a2' });
    c.show('get_assignment', { id: 'a2' }, a, before);
    check(!a.isError && a.cache?.source === 'cache', 'the fresh answer should now be cached');
  },
};

const signedWebhook: DemoStep = {
  title: "Changed behind the gateway's back: a signed webhook evicts the entry and notifies subscribers",
  applies: (c) => Boolean(c.hookPath),
  async run(c, check) {
    const uri = 'assignments://a2';
    const subscribed = c.config.resources?.templates.some((t) => t.uriTemplate === 'assignments://{id}')
      ? await subscribe(c.mcp, uri)
      : undefined;
    if (subscribed) c.print(`   → the client subscribes to ${uri}`);
    const notified = c.updates.next(uri, 3000);
    const change = await c.up.changeBehindTheBack('a2', { title: 'Renamed in the upstream UI' });
    c.print(
      `   → the upstream renames a2 itself and POSTs a signed assignment.updated {"id":"a2"} to ${c.hookPath}: ` +
        `the gateway answered ${change.webhookStatus}`,
    );
    check(change.webhookStatus === 200, 'the gateway should accept the signed webhook');
    if (subscribed) {
      const heard = await notified;
      c.print(
        heard
          ? `   → the subscribed client is notified: notifications/resources/updated ${uri}`
          : `   → no notification for ${uri} within 3 s`,
      );
      check(heard, 'the subscribed client should be notified');
      await subscribed.close().catch(() => {});
    }
    const before = c.requests();
    const a = await c.call('get_assignment', { id: 'a2' });
    c.show('get_assignment', { id: 'a2' }, a, before, '; the webhook evicted the cached copy');
    check(
      !a.isError && a.cache?.source === 'upstream' && a.structured?.title === 'Renamed in the upstream UI',
      'after the webhook the entry should be fetched again, with the new title',
    );
    const { metrics } = c.config;
    const scraped = metrics.enabled
      ? await scrapeSummary(`${c.gatewayBase}${metrics.path}`, c.identity ? c.operatorToken : undefined)
      : '';
    if (scraped) c.print(`   metrics at ${metrics.path}: ${scraped}`);
  },
};

const whoIsCalling: DemoStep = {
  title: 'Who is calling: a read-only agent is refused a write and allowed a read',
  applies: (c) => c.identity,
  async run(c, check) {
    const { Client, StreamableHTTPClientTransport } = c.sdk;
    const reader = new Client({ name: 'demo-reader', version: c.config.server.version });
    await reader.connect(
      new StreamableHTTPClientTransport(new URL(c.gatewayUrl), {
        requestInit: { headers: { authorization: `Bearer ${c.readerToken}` } },
      }),
    );
    try {
      const listed = (await reader.listTools()).tools.map((t) => t.name);
      c.print(`   → demo-reader (scope assignments.read) lists ${listed.length} tools: ${listed.join(', ')}`);
      check(!listed.includes('update_assignment'), 'the reader should not see update_assignment');
      const before = c.requests();
      const refused = await reader.callTool({
        name: 'update_assignment',
        arguments: { id: 'a1', status: 'done' },
      });
      const code = ((refused._meta ?? {}) as Record<string, { code?: string }>)['conduit/error']?.code;
      const text = ((refused.content ?? []) as { type: string; text?: string }[])[0]?.text ?? '';
      c.print(`   → update_assignment as demo-reader: error ${code ?? ''}: ${firstSentence(text)}`);
      c.print(
        `     upstream requests: ${c.requests()} (${c.requests() === before ? 'none for this call' : `+${c.requests() - before}`})`,
      );
      check(
        refused.isError === true && code === 'POLICY_DENIED' && c.requests() === before,
        'the write should be refused before the upstream',
      );
      const allowed = await reader.callTool({ name: 'get_assignment', arguments: { id: 'a1' } });
      c.print(`   → get_assignment as demo-reader: ${allowed.isError ? 'error' : 'allowed'}`);
      check(allowed.isError !== true, 'the read should be allowed');
    } finally {
      await reader.close().catch(() => {});
    }
  },
};

const longListShaped: DemoStep = {
  title: 'A long list, shaped: a truncated answer and the cursor to the rest',
  applies: (c) => c.config.tools.some((t) => t.name === 'browse_assignments'),
  async run(c, check) {
    const first = await c.mcp.callTool({ name: 'browse_assignments', arguments: {} });
    const cut = first._meta?.['conduit/truncated'] as
      | { shownItems?: number; totalItems?: number; nextCursor?: string }
      | undefined;
    const ids = (r: typeof first) =>
      (((r.structuredContent ?? {}) as { items?: { id: string }[] }).items ?? []).map((i) => i.id);
    c.print(
      `   → browse_assignments {}: ${ids(first).join(', ')} — ${cut?.shownItems ?? '?'} of ${cut?.totalItems ?? '?'} on the page, ` +
        `marked truncated with a cursor (${(cut?.nextCursor ?? '').slice(0, 16)}…)`,
    );
    check(
      first.isError !== true && ids(first).length === 3 && cut?.nextCursor !== undefined,
      'the answer should be cut to 3 entries and carry a cursor',
    );
    const next = cut?.nextCursor
      ? await c.mcp.callTool({ name: 'browse_assignments', arguments: { cursor: cut.nextCursor } })
      : undefined;
    if (next)
      c.print(`   → browse_assignments {cursor}: ${ids(next).join(', ')} — the next entries, none repeated`);
    check(
      next !== undefined &&
        next.isError !== true &&
        ids(next).length > 0 &&
        !ids(next).some((id) => ids(first).includes(id)),
      'the cursor should lead to the next entries',
    );
  },
};

/**
 * The demo's script, in order: cache miss and hit, invalidation, retries, the breaker, stale answers,
 * recovery, then what the config has of webhooks, identity and response shaping.
 */
export const DEMO_STEPS: readonly DemoStep[] = [
  missThenHit,
  updateInvalidates,
  failuresAndRetries,
  breakerOpens,
  staleWhileDown,
  recovery,
  signedWebhook,
  whoIsCalling,
  longListShaped,
];
