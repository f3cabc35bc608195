import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('./src/', import.meta.url));

/**
 * The examples import the package by its name (`conduit-mcp/http`), as a user would; tests that load
 * them get the sources of this tree, not a possibly stale dist/ (tsconfig.json's `paths` say the same
 * to tsc and tsx).
 */
export const selfImports = [
  { find: /^conduit-mcp$/, replacement: `${src}index.ts` },
  { find: /^conduit-mcp\/([a-z-]+)$/, replacement: `${src}$1/index.ts` },
];
