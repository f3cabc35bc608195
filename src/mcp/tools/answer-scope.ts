import { createHash } from 'node:crypto';
import type { Principal } from '../../core/index.js';

/**
 * Whose a cached answer is. `private`: the caller's own (the request carried a per-caller credential
 * or read the caller's identity), keyed per principal and never served to another; `shared`: the
 * same for every caller, declared by the tool's `cache.scope: shared`.
 */
export type AnswerScope = 'private' | 'shared';

/** Why a tool's answers are private or shared: `conduit validate` and the docs say the same words. */
export interface AnswerScopeChoice {
  scope: AnswerScope;
  reason: string;
}

/**
 * The scope of a cached tool's answers. Private by default whenever the request depends on who
 * calls; a config author must declare `shared` to opt out, and `private` forces it.
 */
export function answerScopeOf(tool: {
  declared: AnswerScope | undefined;
  perCallerCredential: string | undefined;
  readsCaller: boolean;
}): AnswerScopeChoice {
  if (tool.declared === 'shared')
    return {
      scope: 'shared',
      reason:
        'cache.scope: shared: one cached answer serves every caller (the upstream answer must not depend on who asks)',
    };
  if (tool.declared === 'private')
    return { scope: 'private', reason: 'cache.scope: private: each caller has their own cached answer' };
  if (tool.perCallerCredential !== undefined)
    return {
      scope: 'private',
      reason: `the upstream is called with the caller's own credential (auth.type ${tool.perCallerCredential}): each caller has their own cached answer; declare cache.scope: shared only if the answer does not depend on who asks`,
    };
  if (tool.readsCaller)
    return {
      scope: 'private',
      reason: "the request reads the caller's identity ({auth.*}): each caller has their own cached answer",
    };
  return {
    scope: 'shared',
    reason: 'the request is the same whoever calls: one cached answer serves every caller',
  };
}

/** The tag every private copy of `key` carries, so invalidating `key` reaches every caller's copy. */
export function privateCopiesTag(key: string): string {
  return `conduit-private:${key}`;
}

/**
 * `key` for one principal: a separator no encoded key part contains, then a digest of the principal
 * id, client and granted scopes. One user's tokens from two clients, or with fewer scopes, may get
 * other answers from the upstream (it reads the token), so none is served the copy fetched for
 * another. A digest, not the ids themselves: whoever can list the Redis keys learns no user, client
 * or issuer from them (the digest is the same on every instance, so they share private answers).
 */
export function privateKey(key: string, who: Principal): string {
  let suffix = suffixes.get(who);
  if (suffix === undefined) {
    // Sorted: the grant is a set. A list, not a joined text: a JWT's `scp` array may hold a scope
    // with a space in it, which must not read as the two scopes either side of it.
    const scopes = who.scopes.length > 1 ? [...who.scopes].sort() : who.scopes;
    // JSON keeps the parts apart whatever they contain (an id may hold any character).
    const digest = createHash('sha256')
      .update(JSON.stringify([who.id, who.clientId ?? '', scopes]))
      .digest('base64url');
    suffix = `#principal=${digest}`;
    suffixes.set(who, suffix);
  }
  return key + suffix;
}

/**
 * Each principal's key suffix, made once: a principal is immutable and the token cache hands out the
 * same object for a token, so a private hit costs one concatenation.
 */
const suffixes = new WeakMap<Principal, string>();
