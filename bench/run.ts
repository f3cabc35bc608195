/**
 * `npm run bench` runs every suite; `npm run bench -- <suite> [<suite>…]` runs the named ones. Each suite
 * is `bench/<suite>/index.ts`, run in its own process so one suite's heap and timers do not skew the next.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
// Conduit runs from its build, as users run it (see built-conduit-hook.mjs); BENCH_FROM_SRC=1 runs src.
const fromSrc = process.env.BENCH_FROM_SRC === '1';
if (!fromSrc) {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit', cwd: join(here, '..') });
  if (build.status !== 0) {
    console.error('npm run build failed; fix it or run the benches from src with BENCH_FROM_SRC=1');
    process.exit(1);
  }
}
const env = fromSrc
  ? process.env
  : {
      ...process.env,
      NODE_OPTIONS:
        `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(join(here, 'built-conduit.mjs')).href}`.trim(),
    };
console.log(fromSrc ? 'Conduit from src (tsx)' : 'Conduit from dist/ (its build, as users run it)');
let failed = 0;
for (const suite of wanted.length > 0 ? wanted : all) {
  console.log(`\n=== bench/${suite} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, suite, 'index.ts')], {
    stdio: 'inherit',
    env,
  });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
