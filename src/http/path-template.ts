import { ConduitError, PATH_HOLE, unsafePathReason } from '../core/index.js';

/** Thrown when a path, template or parameter would leave the configured origin or base path. */
export class InvalidPathError extends ConduitError {
  declare readonly code: 'INVALID_PATH';
  constructor(message: string) {
    super('INVALID_PATH', message);
  }
}

/** Path parameter values: strings, numbers and booleans; anything else is rejected. */
export type PathParams = Readonly<Record<string, string | number | boolean>>;

interface CompiledTemplate {
  /** Literal pieces; `names[i]` goes between `literals[i]` and `literals[i + 1]`. */
  literals: string[];
  names: string[];
}

// Templates are few and reused on every call: compile each once.
const compiled = new Map<string, CompiledTemplate>();
const MAX_CACHED = 1000;

/**
 * Checks a literal path (a template with its `{name}` holes, or a plain path) before any value is put
 * in it: it must be origin-relative and may not climb out of the base path.
 */
export function assertSafePath(path: string): void {
  const reason = unsafePathReason(path);
  if (reason !== undefined) throw new InvalidPathError(`Path "${shown(path)}" ${reason}.`);
}

function compile(template: string): CompiledTemplate {
  let c = compiled.get(template);
  if (c) return c;
  assertSafePath(template.replace(PATH_HOLE, 'x'));
  const literals: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const m of template.matchAll(PATH_HOLE)) {
    literals.push(template.slice(last, m.index));
    names.push(m[1]!);
    last = m.index! + m[0].length;
  }
  literals.push(template.slice(last));
  if (/[{}]/.test(literals.join(''))) {
    throw new InvalidPathError(
      `Path template "${shown(template)}" has an unmatched or invalid "{" / "}"; parameters look like {id}.`,
    );
  }
  c = { literals, names };
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(template, c);
  return c;
}

/**
 * Encodes one path parameter so it stays exactly one segment: "/", "?", "#", "%" and every other reserved
 * character are percent-encoded, and values that a server would treat as navigation ("", ".", "..") are
 * rejected outright rather than encoded, since some servers decode %2E before resolving dot segments.
 */
export function encodePathParam(name: string, value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new InvalidPathError(
      `Path parameter "${name}" must be a string, number or boolean (got ${value === null ? 'null' : typeof value}).`,
    );
  }
  const s = String(value);
  if (s === '' || s === '.' || s === '..') {
    throw new InvalidPathError(`Path parameter "${name}" may not be empty, "." or "..".`);
  }
  try {
    return encodeURIComponent(s);
  } catch {
    throw new InvalidPathError(`Path parameter "${name}" is not well-formed Unicode (lone surrogate).`);
  }
}

/**
 * Expands `/resources/{id}` with `params` into an origin-relative path. Throws `InvalidPathError` when
 * the template is unsafe, a parameter is missing, or a value would add a segment, query or fragment.
 */
export function expandPath(template: string, params?: PathParams): string {
  const c = compile(template);
  if (c.names.length === 0) return template;
  if (!params) {
    throw new InvalidPathError(`Path template "${shown(template)}" needs parameters: ${c.names.join(', ')}.`);
  }
  let out = c.literals[0]!;
  for (let i = 0; i < c.names.length; i++) {
    const name = c.names[i]!;
    if (!Object.hasOwn(params, name)) {
      throw new InvalidPathError(`Path parameter "${name}" of "${shown(template)}" is missing.`);
    }
    out += encodePathParam(name, params[name]) + c.literals[i + 1]!;
  }
  return out;
}

const USERINFO = /^((?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\/)[^/?#]*@/;

/**
 * The path as echoed in an error: without its query or fragment (they may hold secrets such as
 * `?api_key=…`), and truncated.
 */
function shown(s: string): string {
  const q = s.search(/[?#]/);
  // Userinfo of an absolute or `//host` URL is a credential too.
  const bare = (q === -1 ? s : `${s.slice(0, q)}${s[q]}…`).replace(USERINFO, '$1***@');
  return bare.length > 120 ? `${bare.slice(0, 120)}…` : bare;
}
