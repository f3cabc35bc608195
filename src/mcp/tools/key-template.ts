import {
  ANONYMOUS,
  encodeKeyPart,
  isPrincipalHole,
  KEY_JSON,
  KEY_MISSING,
  KEY_NULL,
  type Principal,
  principalValue,
} from '../../core/index.js';

/**
 * `assignment:{id}` style templates for cache keys and invalidation tags, compiled once per tool.
 * `{a.b}` reads a nested argument. Every value is encoded (`encodeKeyPart`), so no value can forge
 * the template's separators; a missing value renders `%-`, null `%~`, an object or array `%J` and its
 * canonical JSON, so none of them equals a string's rendering. Keys, tags and invalidation templates
 * all render through here (and webhook templates through the same encoding), so they keep matching.
 * `{auth.sub}`, `{auth.claims.tenant}` read the caller's principal instead of the arguments.
 */
export class KeyTemplate {
  private readonly literals: string[] = [];
  private readonly paths: string[][] = [];
  /** Per hole: true when it reads the principal (its path then starts after `auth.`). */
  private readonly fromPrincipal: boolean[] = [];

  constructor(readonly source: string) {
    const re = /\{([^{}]+)\}/g;
    let last = 0;
    for (let m = re.exec(source); m !== null; m = re.exec(source)) {
      this.literals.push(source.slice(last, m.index));
      const hole = m[1]!.trim();
      const principal = isPrincipalHole(hole);
      this.fromPrincipal.push(principal);
      this.paths.push(hole.split('.').slice(principal ? 1 : 0));
      last = m.index + m[0].length;
    }
    this.literals.push(source.slice(last));
  }

  /** Names of the top-level arguments the template reads. */
  get fields(): string[] {
    return this.paths.filter((_, i) => !this.fromPrincipal[i]).map((p) => p[0]!);
  }

  /** True when some hole reads the caller's principal. */
  get readsPrincipal(): boolean {
    return this.fromPrincipal.includes(true);
  }

  render(args: Readonly<Record<string, unknown>>, principal: Principal = ANONYMOUS): string {
    let out = this.literals[0]!;
    for (let i = 0; i < this.paths.length; i++) {
      const path = this.paths[i]!;
      const value = this.fromPrincipal[i] ? principalValue(principal, path) : lookup(args, path);
      out += renderKeyValue(value) + this.literals[i + 1]!;
    }
    return out;
  }
}

/**
 * The key of a tool without a `key` template: its name, the version of its definition (`@<digest>`)
 * and all its arguments, canonical (object keys sorted) and encoded, so it identifies the upstream
 * request whatever the arguments' order and whichever config made it.
 */
export function defaultCacheKey(
  toolName: string,
  version: string,
  args: Readonly<Record<string, unknown>>,
): string {
  return `${toolName}@${version}:${KEY_JSON}${encodeKeyPart(stableStringify(args))}`;
}

function lookup(args: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = args;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** One value as it appears in a key or tag. */
export function renderKeyValue(value: unknown): string {
  if (value === undefined) return KEY_MISSING;
  if (value === null) return KEY_NULL;
  if (typeof value === 'string') return encodeKeyPart(value);
  if (typeof value === 'number' || typeof value === 'boolean') return encodeKeyPart(String(value));
  return KEY_JSON + encodeKeyPart(stableStringify(value));
}

/** JSON with object keys sorted, so equal arguments give equal cache keys whatever their order. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`).join(',')}}`;
}
