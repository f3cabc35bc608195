import { z } from 'zod';
import { strictObject } from './strict-object.js';

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
