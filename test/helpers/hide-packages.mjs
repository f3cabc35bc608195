// Preload (`node --import tsx --import ./hide-packages.mjs`) that makes the packages named in
// CONDUIT_HIDE_PACKAGES (comma separated) resolve as if they were not installed: each lookup is
// re-run from an empty directory, so the failure is Node's own (MODULE_NOT_FOUND for require,
// ERR_MODULE_NOT_FOUND for import), not an error made up here.
import { mkdtempSync, writeFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const hidden = new Set((process.env.CONDUIT_HIDE_PACKAGES ?? '').split(',').filter(Boolean));
const packageOf = (specifier) => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
};
const empty = mkdtempSync(join(tmpdir(), 'conduit-no-packages-'));
const emptyParent = join(empty, 'parent.mjs');
writeFileSync(emptyParent, '');

// require() (createRequire included) resolves through Module._resolveFilename.
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, isMain, options) {
  if (hidden.has(packageOf(request)))
    return resolveFilename.call(this, request, parent, isMain, { ...options, paths: [empty] });
  return resolveFilename.call(this, request, parent, isMain, options);
};

// import() resolves through the ESM hooks: resolve the specifier as if imported from the empty dir.
const hooks = `
const hidden = new Set(${JSON.stringify([...hidden])});
const packageOf = ${packageOf.toString()};
export async function resolve(specifier, context, next) {
  if (hidden.has(packageOf(specifier)))
    return next(specifier, { ...context, parentURL: ${JSON.stringify(pathToFileURL(emptyParent).href)} });
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
