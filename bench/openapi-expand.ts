/**
 * Times `openApiTools` (what `conduit validate`/`serve` run for an upstream's `openapi` section) on a
 * generated document: by default 400 operations whose schemas inline to 5 461 nodes each.
 *
 *   npx tsx bench/openapi-expand.ts [operations] [runs]
 *
 * Prints the parse time and, per run, the time to build every tool; the last line is the median.
 */
import { openApiTools, parseOpenApiDocument } from '../src/config/openapi/index.js';
import { inlinedNodes, largeDocument } from '../test/config/openapi/helpers/large-document.js';

const operations = Number(process.argv[2] ?? 400);
const runs = Number(process.argv[3] ?? 3);
const text = JSON.stringify(largeDocument({ operations }));
let start = performance.now();
const document = parseOpenApiDocument(text, { format: 'json', sourceName: 'large.json' });
console.log(
  `document: ${operations} operations × ${inlinedNodes()} nodes inlined, ${(text.length / 1024).toFixed(0)} KiB JSON; parsed in ${(performance.now() - start).toFixed(0)} ms`,
);
const times: number[] = [];
for (let r = 0; r < runs; r++) {
  start = performance.now();
  const set = openApiTools('large', { document: 'large.json' }, document);
  const ms = performance.now() - start;
  times.push(ms);
  console.log(`run ${r + 1}: ${set.tools.length} tools in ${ms.toFixed(0)} ms`);
}
times.sort((a, b) => a - b);
console.log(`median: ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms (node ${process.version})`);
