import { readFileSync } from 'node:fs';

// src/config and dist/config are both two levels below the package root.
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Conduit's own version, from package.json. */
export const CONDUIT_VERSION: string = pkg.version;
