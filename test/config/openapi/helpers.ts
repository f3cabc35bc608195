import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { type OpenApiDocument, parseOpenApiDocument } from '../../../src/config/openapi/index.js';

export const repoRoot = resolve(import.meta.dirname, '../../..');
export const samplePath = join(repoRoot, 'examples/openapi/assignments.openapi.yaml');

/** A minimal 3.1 document around the given paths and components. */
export function doc(
  paths: Record<string, unknown>,
  components: Record<string, unknown> = {},
  version = '3.1.0',
): OpenApiDocument {
  return parseOpenApiDocument(
    stringify({ openapi: version, info: { title: 't', version: '1' }, paths, components }),
    {
      sourceName: 'test.yaml',
    },
  );
}

/** Runs fn and returns what it threw (fails the test when nothing was thrown). */
export function thrown(fn: () => unknown): Error & { code?: string; operation?: string; ref?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error');
}
