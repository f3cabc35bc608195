import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hiddenScenario } from '../helpers/hidden-packages.js';

// jose and oauth4webapi are optional peer dependencies: only access token checks (server.http.auth)
// and OAuth 2.0 upstream credentials need them. These tests hide them from a child process (Node's own
// resolution failure, see test/helpers/hide-packages.mjs).
const child = fileURLToPath(new URL('./fixtures/optional-identity-child.ts', import.meta.url));
const BOTH = ['jose', 'oauth4webapi'];

const scenario = (name: string, hidden: string[]) => hiddenScenario(child, name, hidden);

describe('optional identity packages', () => {
  it('a gateway without access token checks or OAuth upstreams starts with both missing', async () => {
    expect(await scenario('plainGateway', BOTH)).toEqual({ ok: true, value: 'started' });
  });

  it('access token checks name each missing package when they are set up, and work when both are there', async () => {
    for (const pkg of BOTH) {
      const missing = await scenario('resourceServer', [pkg]);
      expect(missing, pkg).toMatchObject({
        ok: false,
        missing: true,
        code: 'MISSING_DEPENDENCY',
        packageName: pkg,
      });
      expect(missing.message, pkg).toContain(`npm install ${pkg}`);
      expect(missing.message, pkg).toContain('server.http.auth');
    }
    expect(await scenario('resourceServer', [])).toEqual({ ok: true, value: 'constructed' });
  });

  it('an oauth2 upstream names oauth4webapi and the upstream at start when it is missing; jose is not needed', async () => {
    const missing = await scenario('oauth2Upstream', ['oauth4webapi']);
    expect(missing).toMatchObject({ ok: false, missing: true, packageName: 'oauth4webapi' });
    expect(missing.message).toContain('upstreams.api.auth');
    expect(missing.message).toContain('npm install oauth4webapi');
    expect(await scenario('oauth2Upstream', ['jose'])).toEqual({ ok: true, value: 'started' });
  });
});
