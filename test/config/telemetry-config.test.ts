// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests write ${VAR} references on purpose
import { describe, expect, it } from 'vitest';
import { ConfigValidationError, parseConfig } from '../../src/config/index.js';

const SECRET = 'otlp-pass-4e8d1b6a';

function problemsOf(otlp: string, env: Record<string, string> = {}) {
  const text = `
upstreams:
  api: { baseUrl: "http://127.0.0.1:9" }
telemetry:
  otlp:
${otlp}`;
  try {
    parseConfig(text, { env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigValidationError);
    return (err as ConfigValidationError).problems;
  }
  throw new Error('expected the config to be rejected');
}

describe('telemetry.otlp problems, found before any span is sent', () => {
  it('refuses credentials in the endpoint URL, saying where they go, without echoing them', () => {
    const problems = problemsOf('    endpoint: "http://conduit:${OTLP_PASS}@127.0.0.1:4318/v1/traces"', {
      OTLP_PASS: SECRET,
    });
    expect(problems.map((p) => p.path)).toEqual(['telemetry.otlp.endpoint']);
    expect(problems[0]!.message).toContain('telemetry.otlp.headers');
    expect(JSON.stringify(problems)).not.toContain(SECRET);
  });

  it('refuses a header name HTTP does not allow and a value with a line break, naming the header', () => {
    const problems = problemsOf(
      `    endpoint: "http://127.0.0.1:4318/v1/traces"
    headers:
      "x key": "a"
      x-api-key: "\${KEY}"`,
      { KEY: `${SECRET}\r\nx-injected: 1` },
    );
    expect(problems.map((p) => p.path).sort()).toEqual([
      'telemetry.otlp.headers.x-api-key',
      'telemetry.otlp.headers["x key"]',
    ]);
    expect(problems.find((p) => p.path.endsWith('x-api-key'))!.message).toMatch(/line break/);
    expect(JSON.stringify(problems)).not.toContain(SECRET);
  });

  it('refuses headers the exporter sets itself, in any case', () => {
    const problems = problemsOf(`    endpoint: "http://127.0.0.1:4318/v1/traces"
    headers: { Content-Type: text/plain, content-length: "5", Host: elsewhere }`);
    expect(problems.map((p) => p.path).sort()).toEqual([
      'telemetry.otlp.headers.Content-Type',
      'telemetry.otlp.headers.Host',
      'telemetry.otlp.headers.content-length',
    ]);
    expect(problems[0]!.message).toMatch(/set by the exporter/);
  });

  it('takes a collector key header and a user-agent of its own', () => {
    const config = parseConfig(
      `
upstreams:
  api: { baseUrl: "http://127.0.0.1:9" }
telemetry:
  otlp:
    endpoint: "https://collector.example/v1/traces"
    headers: { authorization: "Bearer \${KEY}", User-Agent: gateway-eu/1 }`,
      { env: { KEY: SECRET } },
    );
    expect(config.telemetry?.otlp?.headers).toEqual({
      authorization: `Bearer ${SECRET}`,
      'User-Agent': 'gateway-eu/1',
    });
  });
});

describe('telemetry.otlp headers the exporter could never send', () => {
  it('refuses the headers undici refuses on every request (keep-alive, upgrade, expect)', () => {
    const problems = problemsOf(`    endpoint: "http://127.0.0.1:4318/v1/traces"
    headers: { keep-alive: "timeout=5", Upgrade: h2c, expect: 100-continue }`);
    expect(problems.map((p) => p.path).sort()).toEqual([
      'telemetry.otlp.headers.Upgrade',
      'telemetry.otlp.headers.expect',
      'telemetry.otlp.headers.keep-alive',
    ]);
  });

  it('refuses a value with a control character or a character outside Latin-1, never quoting it', () => {
    const problems = problemsOf(
      `    endpoint: "http://127.0.0.1:4318/v1/traces"
    headers: { x-a: "\${A}", x-b: "\${B}" }`,
      { A: `${SECRET}\u0001`, B: `${SECRET}\u20ac` },
    );
    expect(problems.map((p) => p.path).sort()).toEqual([
      'telemetry.otlp.headers.x-a',
      'telemetry.otlp.headers.x-b',
    ]);
    expect(JSON.stringify(problems)).not.toContain(SECRET);
  });

  it('refuses one header given twice in different case (one would be dropped silently)', () => {
    const problems = problemsOf(`    endpoint: "http://127.0.0.1:4318/v1/traces"
    headers: { Authorization: "Bearer a", authorization: "Bearer b" }`);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toMatch(/^telemetry\.otlp\.headers\.[Aa]uthorization$/);
  });
});
