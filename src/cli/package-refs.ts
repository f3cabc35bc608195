import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where an npm install puts this package, seen from a project's root: right for most users. */
const INSTALLED = './node_modules/conduit-mcp/';

/** This package's root: two folders above this file (`dist/cli/` or `src/cli/`). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The `node_modules/conduit-mcp` of `from` or a folder above it that is this package, through its
 * link when it is one (pnpm, `npm link`): the link's path survives an upgrade, its target's
 * (`.pnpm/conduit-mcp@<version>/…`) does not.
 */
function linkTo(from: string): string | undefined {
  const self = realpathSync(PACKAGE_ROOT);
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'conduit-mcp');
    if (existsSync(candidate) && realpathSync(candidate) === self) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * How a config written to `out` refers to one of this package's files (`schema/conduit.schema.json`,
 * `docs/gateway-config.md`): the relative path to the file this Conduit runs from, so the editor's
 * `$schema` resolves in a clone or a global install too. In npm's `npx` cache (cleared at will) and
 * when the file is missing, the path of a project install instead.
 *
 * @example packageRef('conduit.yaml', 'schema/conduit.schema.json') // './node_modules/conduit-mcp/schema/…'
 */
export function packageRef(out: string, file: string): string {
  const from = dirname(resolve(out));
  const target = resolve(linkTo(from) ?? PACKAGE_ROOT, file);
  if (!existsSync(target) || target.includes(`${sep}_npx${sep}`)) return INSTALLED + file;
  const rel = relative(from, target).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/**
 * The absolute path of one of the files this Conduit ships (`docs/cli.md`), for help texts: it
 * works from wherever the command runs, an npm install, a global one or a clone alike, where a path
 * like `docs/cli.md` means something in a clone only.
 */
export function shippedFile(file: string): string {
  return resolve(PACKAGE_ROOT, file);
}
