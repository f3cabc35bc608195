// Resolves Conduit's own modules (src/**) to their build (dist/**), so the benches measure the code
// users run. Under tsx, src is transpiled with names kept: every named closure costs a defineProperty
// the build does not have, a cost the peers (plain JavaScript from node_modules) never pay.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../', import.meta.url).href;
const SRC = `${ROOT}src/`;
const DIST = `${ROOT}dist/`;

/** The built counterpart of a src URL (`.ts` or `.js`), or undefined when there is none. */
function built(url) {
  if (!url.startsWith(SRC)) return undefined;
  const target = `${DIST}${url.slice(SRC.length).replace(/\.(ts|js)$/, '.js')}`;
  return existsSync(fileURLToPath(target)) ? target : undefined;
}

export async function resolve(specifier, context, next) {
  if (context.parentURL !== undefined && (specifier.startsWith('.') || specifier.startsWith('file:'))) {
    const target = built(new URL(specifier, context.parentURL).href);
    if (target !== undefined) return { url: target, format: 'module', shortCircuit: true };
  }
  const resolved = await next(specifier, context);
  const target = built(resolved.url);
  return target === undefined ? resolved : { url: target, format: 'module', shortCircuit: true };
}
