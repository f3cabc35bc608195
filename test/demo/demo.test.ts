import { describe, expect, it } from 'vitest';
import { spawnCli } from '../cli/helpers.js';

describe('conduit demo', () => {
  it('runs every step to the end by itself, exit 0, leaving no handle open', async () => {
    const cli = spawnCli(['demo']);
    const { code } = await cli.exited;
    const out = cli.stdout();
    expect(code, `${out}\n${cli.stderr()}`).toBe(0);
    const steps = [
      '1. Cache miss, then hit',
      '2. An update invalidates the cached entry',
      '3. The upstream starts failing (503 on every request): the gateway retries',
      '4. The circuit breaker opens: calls fail fast without touching the upstream',
      '5. Stale data: the cache answers while the upstream is down',
      '6. Recovery: the upstream heals and the breaker closes after its recovery time',
      "7. Changed behind the gateway's back: a signed webhook evicts the entry and notifies subscribers",
      '8. Who is calling: a read-only agent is refused a write and allowed a read',
      '9. A long list, shaped: a truncated answer and the cursor to the rest',
    ];
    let at = -1;
    for (const step of steps) {
      const i = out.indexOf(step);
      expect(i, step).toBeGreaterThan(at);
      at = i;
    }
    // Step 9: three entries of the first page, then the next three through the cursor.
    expect(out).toMatch(
      /browse_assignments \{\}: a1, a2, a3 — 3 of 10 on the page, marked truncated with a cursor/,
    );
    expect(out).toMatch(/browse_assignments \{cursor\}: a4, a5, a6 — the next entries/);
    // Step 8: the reader does not see the write tool, is refused it before the upstream, may read.
    expect(out).toMatch(
      /update_assignment as demo-reader: error POLICY_DENIED[^\n]*\n\s+upstream requests: \d+ \(none for this call\)/,
    );
    expect(out).toContain('get_assignment as demo-reader: allowed');
    expect(out).not.toMatch(/demo-reader \(scope assignments.read\) lists[^\n]*update_assignment/);
    // What each step shows, in the narration's own words.
    expect(out).toMatch(
      /get_assignment \{"id":"a1"\}: "Read chapter 3" \(todo, v1\) from the upstream\n\s+upstream requests: 1 \(\+1\)/,
    );
    expect(out).toMatch(/from the cache \(l1\)\n\s+upstream requests: 1 \(none for this call\)/);
    expect(out).toMatch(/"Read chapter 3" \(done, v2\) from the upstream/);
    expect(out).toMatch(/\(\+3\) = 3 attempts, then a tool error/);
    expect(out).toMatch(/error CIRCUIT_OPEN: .*circuit breaker is open[\s\S]*none for this call/);
    expect(out).toMatch(/retry after \d+\.\d s/);
    expect(out).toMatch(/from the cache \(l1\), STALE/);
    expect(out).toMatch(/the probe succeeded, the breaker is closed/);
    expect(out).toMatch(/POSTs a signed assignment\.updated .*: the gateway answered 200/);
    expect(out).toContain(
      'the subscribed client is notified: notifications/resources/updated assignments://a2',
    );
    expect(out).toMatch(
      /"Renamed in the upstream UI" \(in_progress, v2\) from the upstream\n\s+upstream requests: \d+ \(\+1\); the webhook evicted/,
    );
    expect(out).toMatch(
      /metrics at \/metrics: tool calls: .*cache_hit \d+.*; webhook deliveries: accepted 1/,
    );
    expect(out).toMatch(/Done in \d+\.\d s\. Upstream saw \d+ requests/);
    expect(out).not.toContain('✗ unexpected');
    expect(cli.stderr()).not.toContain('a handle was still open');
  });
});
