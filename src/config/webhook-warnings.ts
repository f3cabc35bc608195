import type { ConfigPath } from './interpolate.js';
import type { GatewayConfig } from './schema.js';

type Endpoints = NonNullable<GatewayConfig['webhooks']>['endpoints'];

/** A warning at a config path. */
export interface PathWarning {
  path: ConfigPath;
  message: string;
}

/**
 * What a valid `webhooks` section allows a signed sender that its author may not mean: invalidation
 * templates that let the payload name any cache entry, and endpoints that accept each other's
 * deliveries. `envNames` says which `${ENV}` variables a value came from; secrets are never quoted.
 */
export function webhookWarnings(
  endpoints: Endpoints | undefined,
  envNames: readonly { path: ConfigPath; names: string[] }[],
): PathWarning[] {
  if (!endpoints) return [];
  return [...endpoints.flatMap(templateWarnings), ...sharedSecretWarnings(endpoints, envNames)];
}

/** A template that starts with a payload field: the sender picks the whole key, tag or prefix. */
const STARTS_WITH_FIELD = /^\{[^{}]*\}/;
/** A pattern whose field is followed by `*`: the star also matches longer values. */
const FIELD_THEN_STAR = /\{([^{}]*)\}\*/;

function templateWarnings(ep: Endpoints[number], i: number): PathWarning[] {
  const out: PathWarning[] = [];
  for (const [type, action] of Object.entries(ep.events)) {
    const inv = action.invalidate;
    if (!inv) continue;
    const at = (kind: string, j: number): ConfigPath => [
      'webhooks',
      'endpoints',
      i,
      'events',
      type,
      'invalidate',
      kind,
      j,
    ];
    for (const kind of ['keys', 'tags', 'patterns'] as const)
      inv[kind].forEach((t, j) => {
        if (STARTS_WITH_FIELD.test(t)) out.push({ path: at(kind, j), message: openTemplateMessage(t, kind) });
        else if (kind === 'patterns' && FIELD_THEN_STAR.test(t))
          out.push({ path: at(kind, j), message: starPatternMessage(t) });
      });
  }
  return out;
}

function openTemplateMessage(template: string, kind: 'keys' | 'tags' | 'patterns'): string {
  const what = kind === 'keys' ? 'cache key' : kind === 'tags' ? 'tag' : 'pattern';
  const field = STARTS_WITH_FIELD.exec(template)![0];
  return `${what} template ${JSON.stringify(template)} starts with a payload field, so whoever can sign a delivery to this endpoint chooses which ${what} it clears, including another upstream's entries; give it a literal prefix naming what it clears, e.g. ${JSON.stringify(`assignment:${field}`)}`;
}

function starPatternMessage(template: string): string {
  const field = FIELD_THEN_STAR.exec(template)!;
  const fixed = template.replace(FIELD_THEN_STAR, `{${field[1]}}:*`);
  return `pattern template ${JSON.stringify(template)} puts "*" right after {${field[1]}}, so the pattern also clears every entry whose value there only starts with the sender's (1 clears 10, 11, 123…; an empty value is refused at delivery); end the field with a separator, e.g. ${JSON.stringify(fixed)}, or name the entries as keys`;
}

/**
 * No scheme signs the endpoint's path: two endpoints with one secret accept each other's deliveries,
 * and run each other's actions. Compared by value; the message names only the variables.
 */
function sharedSecretWarnings(
  endpoints: Endpoints,
  envNames: readonly { path: ConfigPath; names: string[] }[],
): PathWarning[] {
  const first = new Map<string, { endpoint: number; secret: number }>();
  const out: PathWarning[] = [];
  const from = (path: ConfigPath) => {
    const names = envNames.find((e) => samePath(e.path, path))?.names;
    return names?.length ? ` (from ${names.map((n) => `\${${n}}`).join(', ')})` : '';
  };
  endpoints.forEach((ep, i) => {
    const own = new Set<string>();
    ep.secrets.forEach((secret, j) => {
      if (own.has(secret)) return;
      own.add(secret);
      const seen = first.get(secret);
      if (seen === undefined) {
        first.set(secret, { endpoint: i, secret: j });
        return;
      }
      const here: ConfigPath = ['webhooks', 'endpoints', i, 'secrets', j];
      const there: ConfigPath = ['webhooks', 'endpoints', seen.endpoint, 'secrets', seen.secret];
      out.push({
        path: here,
        message: `this secret${from(here)} is also the secret of endpoints[${seen.endpoint}]${from(there)} (${endpoints[seen.endpoint]!.path}): no webhook scheme signs the path, so each endpoint accepts deliveries signed for the other and runs its actions on them; give each endpoint a secret of its own`,
      });
    });
  });
  return out;
}

function samePath(a: ConfigPath, b: ConfigPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
