import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PrismRun, runAgainstPrism } from './helpers/prism-run.js';

// Each document is served through the gateway in front of a Prism mock of the same document (request
// validation on: Prism answers 422 to a request the document does not describe), and each served
// tool is called once with arguments generated from its input schema. Target: >= 95% of operations
// served, >= 95% of calls accepted, every operation left out listed by `validate` (and `init`) with
// its reason.

const fixtures = join(import.meta.dirname, 'fixtures');
const github = join(import.meta.dirname, '../../node_modules/@octokit/openapi/generated/api.github.com.json');

/**
 * Requests Prism 5.14 refuses though they are what the document (and the real API) describes; each
 * is checked by a test with a real parser instead (test/mcp/openapi-form.test.ts, multipart.test.ts).
 */
const PRISM_LIMITS: Record<string, string> = {
  // Stripe takes line_items[0][price]=p; Prism's form reader wants a list of objects as JSON text.
  PostInvoices: 'Prism cannot read indexed lists of objects in a form body',
  // Prism reads repeated multipart parts (attachments twice) as one value, never as a list.
  postMessage: 'Prism cannot read a list of multipart parts',
};

function summary(name: string, run: PrismRun): string {
  return `${name}: ${run.served}/${run.operations} served, ${run.accepted}/${run.called} accepted${
    run.refused.length > 0
      ? `; refused: ${run.refused.map((r) => `${r.tool} (${r.status ?? r.code})`).join(', ')}`
      : ''
  }`;
}

function expectServedAndListed(run: PrismRun): void {
  expect(run.served / run.operations).toBeGreaterThanOrEqual(0.95);
  expect(run.served + run.leftOut.length).toBe(run.operations);
  for (const left of run.leftOut) expect(left.message.length).toBeGreaterThan(20);
  expect(run.unlistedByValidate).toEqual([]);
}

describe('requests the gateway sends are what the document describes, checked by Prism', () => {
  for (const [label, file] of [
    ['Stripe-style form bodies, bracket notation and deepObject queries', 'stripe-style.yaml'],
    ['DigitalOcean-style multi-file document with operation-level $refs', 'do-style/main.yaml'],
    ['3.1 with $recursiveRef and $dynamicRef', 'recursive-3.1.yaml'],
    ['multipart uploads', 'multipart.yaml'],
  ] as const)
    it(label, async () => {
      // Optional arguments too: the small documents are there to exercise every encoding.
      const run = await runAgainstPrism(join(fixtures, file), { optional: true });
      console.log(summary(file, run));
      expectServedAndListed(run);
      expect(run.unsampled).toEqual([]);
      expect(run.called).toBe(run.served);
      for (const refusal of run.refused) expect(PRISM_LIMITS, refusal.text).toHaveProperty(refusal.tool);
      expect(run.accepted + run.refused.length).toBe(run.called);
    }, 120_000);

  it("GitHub's REST document (@octokit/openapi): every tenth operation", async () => {
    // The full set, and init's list of what it leaves out, run in `npm run chaos`
    // (test/chaos/openapi-prism-github.test.ts).
    const run = await runAgainstPrism(github, { every: 10, concurrency: 8 });
    console.log(summary('api.github.com (every 10th)', run));
    expectServedAndListed(run);
    expect(run.called).toBeGreaterThanOrEqual(100);
    expect(run.accepted / run.called).toBeGreaterThanOrEqual(0.95);
  }, 300_000);
});
