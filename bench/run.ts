/**
 * `npm run bench` runs every suite; `npm run bench -- <suite> [<suite>…]` runs the named ones. Each suite
 * is `bench/<suite>/index.ts`, run in its own process so one suite's heap and timers do not skew the next.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((d) => statSync(join(here, d)).isDirectory() && existsSync(join(here, d, 'index.ts')))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`unknown bench suite(s): ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const suite of wanted.length > 0 ? wanted : all) {
  console.log(`\n=== bench/${suite} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, suite, 'index.ts')], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
