// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests write ${VAR} references on purpose
import { describe, expect, it } from 'vitest';
import { ConfigValidationError, parseConfig } from '../../src/config/index.js';

const SECRET = 'upstream-key-7c2f9e1d';

function problemsOf(upstream: string, env: Record<string, string>) {
  try {
    parseConfig(`upstreams:\n  api:\n    baseUrl: "http://127.0.0.1:9"\n${upstream}`, { env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigValidationError);
    return (err as ConfigValidationError).problems;
  }
  throw new Error('expected the config to be rejected');
}

describe('upstream headers HTTP cannot send are config problems, not an error on every call', () => {
  it('refuses a header value with a line break (a header injection) and a header name with a space, naming each', () => {
    const problems = problemsOf('    headers: { x-api-key: "${KEY}", "x key": a }', {
      KEY: `${SECRET}\r\nx-injected: 1`,
    });
    expect(problems.map((p) => p.path).sort()).toEqual([
      'upstreams.api.headers.x-api-key',
      'upstreams.api.headers["x key"]',
    ]);
    expect(problems.find((p) => p.path.endsWith('x-api-key'))!.message).toMatch(/line break/);
    expect(JSON.stringify(problems)).not.toContain(SECRET);
  });

  it('checks the header and bearer credentials the same way', () => {
    const bearer = problemsOf('    auth: { type: bearer, token: "${KEY}" }', { KEY: `${SECRET}\n` });
    expect(bearer.map((p) => p.path)).toEqual(['upstreams.api.auth.token']);
    const header = problemsOf('    auth: { type: header, name: "x:key", value: "${KEY}" }', { KEY: SECRET });
    expect(header.map((p) => p.path)).toEqual(['upstreams.api.auth.name']);
    expect(JSON.stringify([...bearer, ...header])).not.toContain(SECRET);
  });

  it('refuses headers the HTTP client writes per request, in any case', () => {
    const problems = problemsOf('    headers: { Transfer-Encoding: chunked, content-length: "5" }', {});
    expect(problems.map((p) => p.path).sort()).toEqual([
      'upstreams.api.headers.Transfer-Encoding',
      'upstreams.api.headers.content-length',
    ]);
    expect(problems[0]!.message).toMatch(/set by the HTTP client/);
  });

  it('takes the header names real APIs use', () => {
    const config = parseConfig(
      `upstreams:
  api:
    baseUrl: "http://127.0.0.1:9"
    headers: { X-GitHub-Api-Version: "2022-11-28", Stripe-Version: "2024-06-20", DD-API-KEY: "\${KEY}" }
    auth: { type: header, name: PRIVATE-TOKEN, value: "\${KEY}" }`,
      { env: { KEY: SECRET } },
    );
    expect(config.upstreams.api!.headers['DD-API-KEY']).toBe(SECRET);
  });
});
