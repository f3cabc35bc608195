/**
 * bench/gateway row: a shaped tool's L1 hit next to an unshaped one's, the same upstream answer
 * behind both. The shaped tool picks fields and caps a list (so every answer is cut and carries the
 * truncation marker and `_meta`); shaping runs before the cache stores the answer, so a hit should
 * cost what an unshaped hit costs (within noise).
 */
import type { ContenderResult } from '../lib.js';

const input = { type: 'object' as const, properties: { id: { type: 'string' } }, required: ['id'] };

/** Added to the bench gateway's tools (servers.ts). */
export const shapedTools = [
  {
    name: 'get_assignment_shaped',
    upstream: 'api',
    method: 'GET' as const,
    path: '/assignments/{id}',
    input,
    cache: { ttl: 3_600_000, key: 'assignment-shaped:{id}' },
    shape: { pick: ['id', 'title', 'tags'], list: 'tags', maxItems: 1, maxBytes: 4096 },
  },
];

type Interleaved = (
  contenders: { name: string; fn: () => Promise<unknown> }[],
  concurrency: number,
) => Promise<ContenderResult[]>;

/** The rows: shaped vs unshaped L1 hit, under load and one call at a time. */
export async function shapedHitRows(
  call: (tool: string) => Promise<void>,
  interleaved: Interleaved,
  concurrency: number,
): Promise<ContenderResult[]> {
  const loaded = await interleaved(
    [
      { name: '(b) conduit L1 hit, beside shaped', fn: () => call('get_assignment_cached') },
      { name: '(b3) conduit shaped L1 hit (cut, marked)', fn: () => call('get_assignment_shaped') },
    ],
    concurrency,
  );
  const serial = await interleaved(
    [
      { name: '(b) conduit L1 hit, beside shaped, 1 in flight', fn: () => call('get_assignment_cached') },
      { name: '(b3) conduit shaped L1 hit, 1 in flight', fn: () => call('get_assignment_shaped') },
    ],
    1,
  );
  const [b, b3] = loaded as [ContenderResult, ContenderResult];
  const [bs, b3s] = serial as [ContenderResult, ContenderResult];
  console.log(
    `info: (b3)/(b) shaped vs unshaped L1 hit = ${(b3.opsPerSec / b.opsPerSec).toFixed(2)}x ops/s; ` +
      `1 in flight: median ${b3s.p50Ms!.toFixed(3)} ms vs ${bs.p50Ms!.toFixed(3)} ms`,
  );
  return [...loaded, ...serial];
}
