import { z } from 'zod';
import { strictObject } from './strict-object.js';
import { count, duration } from './units.js';

// The identity sections: who a call runs as when no token says so (stdio), and later the OAuth
// resource server, policy, quotas and audit that build on that principal.

const nonEmpty = (what: string) =>
  z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

/** Fields of a principal fixed by config (the stdio operator's). */
export const fixedPrincipalSchema = strictObject({
  /** The subject templates read as `{auth.sub}`. */
  sub: nonEmpty('a subject'),
  clientId: nonEmpty('a client id').optional(),
  scopes: z.array(nonEmpty('a scope')).default([]),
  /** Claims templates read as `{auth.claims.<name>}`. */
  claims: z.record(z.string(), z.unknown()).default({}),
});

export type FixedPrincipalConfig = z.output<typeof fixedPrincipalSchema>;

/** One of `server.http.authTokens`: the token alone, or the token and the principal it stands for. */
export const staticTokenSchema = z.union(
  [
    nonEmpty('a non-empty token'),
    strictObject({
      token: nonEmpty('a non-empty token'),
      sub: nonEmpty('a subject').optional(),
      clientId: nonEmpty('a client id').optional(),
      scopes: z.array(nonEmpty('a scope')).default([]),
      claims: z.record(z.string(), z.unknown()).default({}),
    }),
  ],
  { error: 'expected a token, or { token, sub?, clientId?, scopes?, claims? }' },
);

export type StaticTokenConfig = z.output<typeof staticTokenSchema>;

const absoluteUrl = (what: string) =>
  z.string({ error: `expected ${what}` }).refine(
    (v) => {
      try {
        return /^https?:$/.test(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { error: `expected ${what} (an absolute http(s) URL)` },
  );

/** JWS algorithms a resource server may accept: asymmetric only (no `none`, no shared-secret HMAC). */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/**
 * `server.http.auth`: the OAuth 2.1 resource server of the MCP authorization spec. Tokens are JWTs
 * checked against the issuer's keys, or opaque ones checked by introspection.
 */
export const resourceServerSchema = strictObject({
  /** The authorization server's issuer identifier (its `iss`). */
  issuer: absoluteUrl('the issuer URL'),
  /** This MCP server's resource identifier (RFC 8707): its public URL, e.g. https://mcp.example.com/mcp. */
  resource: absoluteUrl('the public URL of this MCP endpoint'),
  /** Audiences accepted instead of `resource`, for an issuer that names APIs otherwise. */
  audience: z.array(nonEmpty('an audience')).default([]),
  /** The issuer's JWKS; default: its metadata's `jwks_uri`. */
  jwksUri: absoluteUrl('the JWKS URL').optional(),
  /** Opaque tokens: RFC 7662 introspection, the gateway authenticating as this client. */
  introspection: strictObject({
    endpoint: absoluteUrl('the introspection endpoint URL').optional(),
    clientId: nonEmpty('a client id'),
    clientSecret: nonEmpty('a client secret (from an environment variable)'),
    /** Introspection requests at once: a flood of made-up tokens must not become a flood at the issuer. */
    maxConcurrent: z.number().int().min(1).max(1024).default(16),
    /** Tokens waiting for one of those places; past them a new token gets 503 until the flood is over. */
    maxQueue: z.number().int().min(0).max(100_000).default(64),
  }).optional(),
  algorithms: z
    .array(z.enum(JWT_ALGORITHMS, { error: `expected one of ${JWT_ALGORITHMS.join(', ')}` }))
    .default(['RS256', 'PS256', 'ES256', 'EdDSA']),
  /** Required JWT `typ` header, e.g. `at+jwt` (RFC 9068). */
  tokenType: nonEmpty('a JWT typ such as at+jwt').optional(),
  /** Leeway for exp and nbf. */
  clockTolerance: duration().default(30_000),
  /** Token claims kept in the principal: `{auth.claims.<name>}` and policy read them. */
  claims: z.array(nonEmpty('a claim name')).default([]),
  /** Scopes every MCP request needs; a token without them gets 403 insufficient_scope. */
  requiredScopes: z.array(nonEmpty('a scope')).default([]),
  /** Advertised as `scopes_supported` in the protected resource metadata. */
  scopesSupported: z.array(nonEmpty('a scope')).default([]),
  /** Advertised as `resource_name`. */
  resourceName: nonEmpty('a name').optional(),
  /**
   * Verified tokens kept by digest, each until it expires and at most `maxTtl`; tokens refused for good
   * (revoked, unknown, bad signature, expired, wrong audience) are refused from memory for `refusedTtl`
   * (0 asks the authorization server every time: for one that answers a just-issued token inactive).
   */
  cache: strictObject({
    maxEntries: count({ min: 1 }).default(10_000),
    maxTtl: duration().default(10 * 60_000),
    refusedTtl: duration().default(30_000),
  }).prefault({}),
  /** One request to the authorization server (metadata, JWKS, introspection). */
  timeout: duration().default(5000),
});

export type ResourceServerConfig = z.output<typeof resourceServerSchema>;

const claimValue = z.union([z.string(), z.number(), z.boolean()], {
  error: 'expected a string, number or boolean claim value',
});

const policyConditionSchema = strictObject({
  /** The caller holds every one of these scopes. */
  scopes: z.array(nonEmpty('a scope')).optional(),
  /** Claim name → the value (or one of the values) the caller's claim must have. */
  claims: z.record(z.string(), z.union([claimValue, z.array(claimValue)])).optional(),
  /** The caller is in one of these groups (the `groupsClaim` claim). */
  groups: z.array(nonEmpty('a group')).optional(),
  subjects: z.array(nonEmpty('a subject')).optional(),
  clients: z.array(nonEmpty('a client id')).optional(),
});

const policyRuleSchema = strictObject({
  effect: z.enum(['allow', 'deny'], { error: 'expected allow or deny' }).default('allow'),
  /** Tool name globs: `*` any run of characters, `?` one. */
  tools: z
    .array(nonEmpty('a tool name glob'))
    .min(1, { error: 'name at least one tool glob, or leave tools out' })
    .optional(),
  /**
   * Resource name globs (a template's `name`, `health` for conduit://health). A resource no rule
   * names is governed by the tool it reads through.
   */
  resources: z
    .array(nonEmpty('a resource name glob'))
    .min(1, { error: 'name at least one resource glob, or leave resources out' })
    .optional(),
  /** Who the rule is about; absent: everyone. */
  when: policyConditionSchema.optional(),
}).refine((r) => r.tools !== undefined || r.resources !== undefined, {
  error: 'a policy rule names tools, resources or both: add tools: [<glob>] or resources: [<glob>]',
});

/**
 * `policy`: which callers may see and call which tools, and see and read which resources. Deny rules that match win; a tool no rule
 * matches gets `default`. The unrestricted operator (stdio without `server.operator`) is not limited.
 */
export const policySchema = strictObject({
  default: z.enum(['allow', 'deny'], { error: 'expected allow or deny' }).default('deny'),
  rules: z.array(policyRuleSchema).default([]),
  /** The claim listing the caller's groups (it must be in `server.http.auth.claims` too). */
  groupsClaim: nonEmpty('a claim name').default('groups'),
});

export type PolicySectionConfig = z.output<typeof policySchema>;

/**
 * `audit`: one JSON line per tool call (who, what, outcome, how long), to its own destination, apart
 * from the debug log. Arguments are left out unless allow-listed per tool, and redacted then.
 */
export const auditSchema = strictObject({
  /** `stderr`, `stdout` (not with the stdio transport, whose stdout is the protocol) or `file`. */
  destination: z
    .enum(['stderr', 'stdout', 'file'], { error: 'expected stderr, stdout or file' })
    .default('stderr'),
  /** The file lines are appended to, with `destination: file`. */
  path: nonEmpty('a file path').optional(),
  /** Tool name → the argument names written with its calls (values redacted like everything else). */
  arguments: z.record(z.string(), z.array(nonEmpty('an argument name'))).default({}),
});

export type AuditSectionConfig = z.output<typeof auditSchema>;

/**
 * `limits[]`: quotas per caller (and per tool): a token bucket of `perMinute` calls and at most
 * `concurrent` calls at once per key. Counted in Redis when `cache.redis` is set.
 */
export const limitSchema = strictObject({
  match: strictObject({
    /** Tool name glob (`*`, `?`). */
    tool: nonEmpty('a tool name glob').default('*'),
  }).prefault({}),
  /** Whose bucket: a template over the caller (`{auth.sub}`, `{auth.claims.tenant}`) and `{tool}`. */
  key: nonEmpty('a key template such as {auth.sub}').default('{auth.id}'),
  perMinute: count({ min: 1 }).optional(),
  concurrent: count({ min: 1 }).optional(),
});

export type LimitConfig = z.output<typeof limitSchema>;
