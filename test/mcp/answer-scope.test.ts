import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/core/index.js';
import { privateKey } from '../../src/mcp/tools/answer-scope.js';

const principal = (scopes: string[], clientId?: string): Principal =>
  Object.freeze({
    id: 'oauth:https://idp.example#u1',
    kind: 'oauth',
    sub: 'u1',
    clientId,
    scopes,
    claims: {},
  });

describe('a private answer key', () => {
  it('is the same for the same scopes in another order (the grant is a set)', () => {
    expect(privateKey('k', principal(['read', 'write'], 'web'))).toBe(
      privateKey('k', principal(['write', 'read'], 'web')),
    );
  });

  it('keeps one scope holding a space apart from the two scopes either side of it', () => {
    // A JWT's `scp` array may hold any string; the upstream reads the token, so the grants differ.
    const one = privateKey('k', principal(['read write'], 'web'));
    expect(one).not.toBe(privateKey('k', principal(['read', 'write'], 'web')));
    expect(privateKey('k', principal([], 'web'))).not.toBe(privateKey('k', principal([''], 'web')));
  });

  it('names neither the caller, the client nor a scope', () => {
    const key = privateKey('items:{}', principal(['tenant-scope'], 'client-x'));
    expect(key.startsWith('items:{}#principal=')).toBe(true);
    for (const part of ['u1', 'idp.example', 'client-x', 'tenant-scope']) expect(key).not.toContain(part);
  });
});
