import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';

/** The problems `conduit validate` reports for a config (empty when it loads). */
function problemsOf(config: Record<string, unknown>): string[] {
  try {
    parseConfig(JSON.stringify({ upstreams: {}, tools: [], ...config }), { format: 'json' });
    return [];
  } catch (err) {
    return ((err as { problems?: { path: string; message: string }[] }).problems ?? []).map(
      (p) => `${p.path}: ${p.message}`,
    );
  }
}

const auth = { issuer: 'https://idp.example.com', resource: 'https://mcp.example.com/mcp' };

describe('validate checks the identity sections', () => {
  it('accepts a resource server, a policy, limits and an audit stream', () => {
    expect(
      problemsOf({
        server: { http: { auth: { ...auth, claims: ['tenant'], requiredScopes: ['mcp'] } } },
        policy: { rules: [{ tools: ['get_*'], when: { scopes: ['read'], claims: { tenant: ['acme'] } } }] },
        limits: [{ match: { tool: 'search_*' }, key: '{auth.sub}:{tool}', perMinute: 60, concurrent: 4 }],
        audit: { destination: 'file', path: '/tmp/audit.jsonl', arguments: { get_item: ['id'] } },
      }),
    ).toEqual([]);
  });

  it('names a resource whose path is not the MCP endpoint', () => {
    const problems = problemsOf({
      server: { http: { auth: { ...auth, resource: 'https://mcp.example.com/other' } } },
    });
    expect(problems.join('\n')).toContain('server.http.auth.resource');
  });

  it('refuses a plain-http issuer off loopback, and HMAC algorithms', () => {
    expect(
      problemsOf({ server: { http: { auth: { ...auth, issuer: 'http://idp.example.com' } } } }).join('\n'),
    ).toContain('plain http');
    expect(
      problemsOf({ server: { http: { auth: { ...auth, algorithms: ['HS256'] } } } }).join('\n'),
    ).toContain('server.http.auth.algorithms');
  });

  it('asks a limit for perMinute or concurrent, and checks its key', () => {
    expect(problemsOf({ limits: [{ key: '{auth.sub}' }] }).join('\n')).toContain('perMinute');
    expect(problemsOf({ limits: [{ key: '{user}', perMinute: 5 }] }).join('\n')).toContain('limits[0].key');
  });

  it('asks a file audit for its path, and a policy rule for its tools', () => {
    expect(problemsOf({ audit: { destination: 'file' } }).join('\n')).toContain('audit.path');
    expect(problemsOf({ policy: { rules: [{ tools: [] }] } }).join('\n')).toContain('policy.rules[0].tools');
  });

  it('asks a policy rule to name tools or resources, and accepts resource globs alone', () => {
    expect(problemsOf({ policy: { rules: [{ when: { scopes: ['read'] } }] } }).join('\n')).toMatch(
      /policy\.rules\[0\].*names tools, resources or both/,
    );
    expect(problemsOf({ policy: { rules: [{ resources: [] }] } }).join('\n')).toContain(
      'policy.rules[0].resources',
    );
    expect(problemsOf({ policy: { rules: [{ resources: ['assignment_*', 'health'] }] } })).toEqual([]);
  });
});
