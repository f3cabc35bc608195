import { existsSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where an npm install puts this package, seen from a project's root: right for most users. */
const INSTALLED = './node_modules/conduit-mcp/';

/** This package's root: two folders above this file (`dist/cli/` or `src/cli/`). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * How a config written to `out` refers to one of this package's files (`schema/conduit.schema.json`,
 * `docs/gateway-config.md`): the relative path to the file this Conduit runs from, so the editor's
 * `$schema` resolves in a clone or a global install too. In npm's `npx` cache (cleared at will) and
 * when the file is missing, the path of a project install instead.
 *
 * @example packageRef('conduit.yaml', 'schema/conduit.schema.json') // './node_modules/conduit-mcp/schema/…'
 */
export function packageRef(out: string, file: string): string {
  const target = resolve(PACKAGE_ROOT, file);
  if (!existsSync(target) || target.includes(`${sep}_npx${sep}`)) return INSTALLED + file;
  const rel = relative(dirname(resolve(out)), target)
    .split(sep)
    .join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}
