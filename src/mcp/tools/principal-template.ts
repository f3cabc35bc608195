import {
  ConfigError,
  isPrincipalHole,
  type Principal,
  principalHoleProblem,
  principalValue,
  PrincipalValueMissingError,
} from '../../core/index.js';
import { renderKeyValue } from './key-template.js';

type Scalar = string | number | boolean;

/** One `{auth.…}` hole: its text and the principal path after `auth.`. */
interface Hole {
  readonly text: string;
  readonly path: readonly string[];
}

function parseHole(text: string, where: string): Hole {
  const problem = principalHoleProblem(text);
  if (problem) throw new ConfigError(`${where}: ${problem}`);
  return { text, path: text.split('.').slice(1) };
}

/** The principal's value for a hole, as one request value; a missing one stops the call. */
function holeValue(principal: Principal, hole: Hole): Scalar {
  const value = principalValue(principal, hole.path);
  if (value === undefined || value === null || value === '') throw new PrincipalValueMissingError(hole.text);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  // Lists (scopes, a groups claim) go out comma-separated, objects as JSON text.
  if (Array.isArray(value)) return value.map(String).join(',');
  return JSON.stringify(value);
}

const HOLE = /\{([^{}]+)\}/g;

/** True when `template` has at least one `{auth.…}` hole. */
export function hasPrincipalHoles(template: string): boolean {
  for (const m of template.matchAll(HOLE)) if (isPrincipalHole(m[1]!.trim())) return true;
  return false;
}

/**
 * A tool path whose `{auth.…}` holes are filled from the caller's principal: the holes become numbered
 * path parameters (`{_auth0}`), so the HTTP client encodes their values exactly like arguments' and
 * refuses a value that would leave its segment (`..`, `/`).
 */
export class PrincipalPath {
  /** The path with principal holes renamed; argument holes untouched. */
  readonly path: string;
  private readonly holes: { param: string; hole: Hole }[] = [];

  constructor(path: string, where: string) {
    let i = 0;
    this.path = path.replace(HOLE, (whole, inner: string) => {
      const text = inner.trim();
      if (!isPrincipalHole(text)) return whole;
      const param = `_auth${i++}`;
      this.holes.push({ param, hole: parseHole(text, where) });
      return `{${param}}`;
    });
  }

  /** Path parameters the rewritten path adds (names no argument may take). */
  get paramNames(): string[] {
    return this.holes.map((h) => h.param);
  }

  get empty(): boolean {
    return this.holes.length === 0;
  }

  /** The principal's values as a cache key part (a missing one renders as missing, not as an error). */
  keyPart(principal: Principal): string {
    return this.holes.map(({ hole }) => renderKeyValue(principalValue(principal, hole.path))).join(':');
  }

  /** Adds the principal's values to `params` (a fresh object per call). */
  fill(params: Record<string, Scalar>, principal: Principal): Record<string, Scalar> {
    for (const { param, hole } of this.holes) params[param] = holeValue(principal, hole);
    return params;
  }
}

/**
 * A text value (a header, a query or body value fixed by config) with `{auth.…}` holes, compiled once.
 * Only principal holes are filled; other braces stay as written.
 *
 * @example
 * ```ts
 * const tenant = new PrincipalText('tenant-{auth.claims.tenant}', 'tools.list_items.fixed.x-tenant');
 * tenant.render(principal); // 'tenant-acme', or throws PrincipalValueMissingError
 * ```
 */
export class PrincipalText {
  private readonly literals: string[] = [];
  private readonly holes: Hole[] = [];

  constructor(
    readonly source: string,
    where: string,
  ) {
    let last = 0;
    for (const m of source.matchAll(HOLE)) {
      const text = m[1]!.trim();
      if (!isPrincipalHole(text)) continue;
      this.literals.push(source.slice(last, m.index));
      this.holes.push(parseHole(text, where));
      last = m.index + m[0].length;
    }
    this.literals.push(source.slice(last));
  }

  render(principal: Principal): string {
    let out = this.literals[0]!;
    for (let i = 0; i < this.holes.length; i++)
      out += String(holeValue(principal, this.holes[i]!)) + this.literals[i + 1]!;
    return out;
  }
}
