import { isKeyValueChar, isPrincipalHole } from '../core/index.js';

/**
 * A cache key must identify the upstream request completely and unambiguously, and no two tools may
 * be able to render the same key (one tool's answer would be served as another's). Values are encoded
 * (`encodeKeyPart`) to characters that can never form a separator, so a template splits into
 * segments at its separator characters; with each hole a whole segment, two templates can render the
 * same key only when their separators are the same and no segment holds two different literals.
 */

/** A key template split at its separators: each segment a literal or one hole. */
interface KeyShape {
  separators: string;
  /** A literal segment's text, or null for a hole. */
  segments: (string | null)[];
}

/** One template's structure problems (a hole glued to text), or its shape. */
function keyShape(template: string): { shape?: KeyShape; problem?: string } {
  const segments: (string | null)[] = [];
  let separators = '';
  let current = '';
  let hole = false;
  const re = /\{([^{}]+)\}|([\s\S])/g;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    if (m[1] !== undefined) {
      if (current !== '' || hole)
        return {
          problem: `{${m[1]}} must stand between separators (e.g. ":"), not next to other text or holes, so its value cannot run into what is next to it`,
        };
      hole = true;
    } else if (isKeyValueChar(m[2]!)) {
      if (hole)
        return {
          problem: `a hole is followed by "${m[2]}"; put a separator such as ":" after it, so its value cannot run into the text`,
        };
      current += m[2];
    } else {
      segments.push(hole ? null : current);
      separators += m[2];
      current = '';
      hole = false;
    }
  }
  segments.push(hole ? null : current);
  return { shape: { separators, segments } };
}

function mayCollide(a: KeyShape, b: KeyShape): boolean {
  if (a.separators !== b.separators) return false;
  return a.segments.every((s, i) => s === null || b.segments[i] === null || s === b.segments[i]);
}

/** The parts of a tool the checks read (raw config, validated config or a generated tool alike). */
export interface CacheKeyTool {
  name: string;
  input?: { properties?: Record<string, unknown> } | Record<string, unknown> | undefined;
  cache?: { key?: unknown } | undefined;
  allowUnlistedArguments?: unknown;
  path?: unknown;
  fixed?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The key template a tool's entries use: its `cache.key`, or `<name>@<version>:<all arguments>`
 * (tool names never hold "@").
 */
function effectiveKey(tool: CacheKeyTool): string {
  const key = tool.cache?.key;
  return typeof key === 'string' ? key : `${tool.name}@{version}:{*}`;
}

/** Problems of one tool's `cache.key`: structure, and arguments that shape the request but not the key. */
export function cacheKeyProblems(tool: CacheKeyTool): string[] {
  const key = tool.cache?.key;
  if (typeof key !== 'string') return [];
  const { problem } = keyShape(key);
  if (problem) return [problem];
  if (tool.allowUnlistedArguments === true || tool.allowUnlistedArguments === 'true')
    return [
      'a key template cannot name the unlisted arguments allowUnlistedArguments lets through; drop cache.key (the default key covers every argument)',
    ];
  const properties = (tool.input as { properties?: unknown } | undefined)?.properties;
  const names = properties !== null && typeof properties === 'object' ? Object.keys(properties) : [];
  const whole = new Set([...key.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!.trim()));
  // A path that reads the caller's principal gives each caller their own answer: the key must say whose.
  const fromCaller =
    typeof tool.path === 'string'
      ? [...tool.path.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!.trim()).filter(isPrincipalHole)
      : [];
  // A fixed value read from the caller (`fixed: { tenant: "{auth.claims.tenant}" }`) varies per caller too.
  const fixedFromCaller = Object.entries(tool.fixed ?? {})
    .filter(([, v]) => typeof v === 'string' && /\{\s*auth\./.test(v))
    .map(([n]) => n);
  const missing = [...new Set([...names, ...fixedFromCaller]), ...fromCaller].filter((n) => !whole.has(n));
  if (missing.length === 0) return [];
  const list = missing.map((n) => `{${n}}`).join(', ');
  return [
    `the key leaves out ${list}, which change${missing.length === 1 ? 's' : ''} the upstream request: two calls differing there would share one entry; add ${list} to the key (whole, not one field of it) or drop cache.key to key on every argument`,
  ];
}

/**
 * Pairs of tools whose keys could be equal (the first tool's index, the second's, a message for the
 * second). A tool without `cache` has no entries and takes part in no pair.
 */
export function cacheKeyCollisions(
  tools: readonly CacheKeyTool[],
): { first: number; second: number; message: string }[] {
  const shapes: { index: number; shape: KeyShape; key: string }[] = [];
  tools.forEach((tool, index) => {
    if (tool.cache === undefined || tool.cache === null) return;
    const key = effectiveKey(tool);
    const { shape } = keyShape(key);
    if (shape) shapes.push({ index, shape, key });
  });
  const out: { first: number; second: number; message: string }[] = [];
  for (let j = 1; j < shapes.length; j++)
    for (let i = 0; i < j; i++) {
      const a = shapes[i]!;
      const b = shapes[j]!;
      if (!mayCollide(a.shape, b.shape)) continue;
      out.push({
        first: a.index,
        second: b.index,
        message: `cache key "${b.key}" can render the same key as tool ${tools[a.index]!.name}'s "${a.key}": one tool's answer would be served as the other's; give each tool its own key prefix`,
      });
      break;
    }
  return out;
}
