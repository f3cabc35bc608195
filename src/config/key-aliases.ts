import { isObject } from '../core/index.js';
import type { ConfigPath } from './interpolate.js';

/**
 * A config key renamed so that its stem matches the library option it feeds (`recovery` →
 * `recoveryMs`): the old spelling is still read, with a warning naming the new key.
 */
export interface KeyAlias {
  /** Where the mapping is: segments, `*` for any key or index. */
  readonly at: readonly string[];
  readonly old: string;
  readonly now: string;
  /** Another key of the same mapping: finds it in the JSON Schema, which has no config paths. */
  readonly besides: string;
}

export const KEY_ALIASES: readonly KeyAlias[] = [
  { at: ['upstreams', '*', 'breaker'], old: 'recoveryTimeout', now: 'recovery', besides: 'countInvalidJson' },
  {
    at: ['upstreams', '*', 'breaker'],
    old: 'halfOpenMaxCalls',
    now: 'halfOpenMaxConcurrent',
    besides: 'countInvalidJson',
  },
  { at: ['webhooks', 'endpoints', '*'], old: 'idField', now: 'idPath', besides: 'scheme' },
  { at: ['webhooks', 'endpoints', '*'], old: 'typeField', now: 'typePath', besides: 'scheme' },
];

/** An old key found (and renamed), or an old key beside its new one (a problem: which one is meant?). */
export interface AliasFinding {
  /** The mapping holding the key. */
  readonly path: ConfigPath;
  readonly alias: KeyAlias;
  /** Both the old and the new key are set. */
  readonly conflict: boolean;
}

/** The message of a finding, naming the key to use. */
export function aliasMessage(f: AliasFinding): string {
  return f.conflict
    ? `"${f.alias.old}" is the old name of "${f.alias.now}" and both are set: keep only ${f.alias.now}`
    : `"${f.alias.old}" is the old name of this key: rename it to ${f.alias.now} (still read for now)`;
}

/**
 * Renames every old key of {@link KEY_ALIASES} in a raw config tree to its new name, in place (the tree
 * is the loader's own copy), and lists what it found. Where both spellings are set the old one is
 * dropped and the finding is a conflict, which the loader reports as a problem.
 */
export function renameKeyAliases(tree: unknown): AliasFinding[] {
  const findings: AliasFinding[] = [];
  for (const alias of KEY_ALIASES)
    for (const { path, node } of mappingsAt(tree, alias.at, [])) {
      if (!Object.hasOwn(node, alias.old)) continue;
      const conflict = Object.hasOwn(node, alias.now);
      findings.push({ path, alias, conflict });
      if (!conflict) node[alias.now] = node[alias.old];
      delete node[alias.old];
    }
  return findings;
}

function* mappingsAt(
  node: unknown,
  at: readonly string[],
  path: ConfigPath,
): Generator<{ path: ConfigPath; node: Record<string, unknown> }> {
  if (at.length === 0) {
    if (isObject(node)) yield { path, node };
    return;
  }
  const [head, ...rest] = at as [string, ...string[]];
  if (Array.isArray(node)) {
    if (head === '*') for (const [i, v] of node.entries()) yield* mappingsAt(v, rest, [...path, i]);
    return;
  }
  if (!isObject(node)) return;
  if (head !== '*') {
    if (Object.hasOwn(node, head)) yield* mappingsAt(node[head], rest, [...path, head]);
    return;
  }
  for (const [k, v] of Object.entries(node)) yield* mappingsAt(v, rest, [...path, k]);
}

/**
 * Adds each old key to the JSON Schema beside its new one, marked `deprecated`, so an editor accepts
 * an older file and says what to rename. Walks the generated schema in place.
 */
export function addDeprecatedAliases(schema: unknown): void {
  if (Array.isArray(schema)) {
    for (const item of schema) addDeprecatedAliases(item);
    return;
  }
  if (!isObject(schema)) return;
  const props = schema.properties;
  if (isObject(props))
    for (const alias of KEY_ALIASES) {
      const now = props[alias.now];
      if (!isObject(now) || !(alias.besides in props) || alias.old in props) continue;
      // No default: an editor should never write the old key itself.
      const { default: _default, ...type } = now;
      props[alias.old] = {
        ...type,
        deprecated: true,
        description: `The old name of ${alias.now}: rename it (still read, with a warning).`,
      };
    }
  for (const v of Object.values(schema)) addDeprecatedAliases(v);
}
