import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hiddenScenario } from '../helpers/hidden-packages.js';

// The OpenTelemetry SDK and OTLP exporter are optional peer dependencies: hidden from a child process
// (Node's own resolution failure, test/helpers/hide-packages.mjs), a gateway without `telemetry.otlp`
// works and never loads them; one with it names the package to install.
const child = fileURLToPath(new URL('./fixtures/optional-sdk-child.ts', import.meta.url));
const SDK = [
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/resources',
];

const scenario = (name: string, hidden: string[]) => hiddenScenario(child, name, hidden);

describe('the OpenTelemetry SDK as optional peer dependencies', () => {
  it('a gateway without telemetry.otlp works with the SDK missing, and does not load it when present', async () => {
    const [without, present] = await Promise.all([scenario('tracesOff', SDK), scenario('tracesOff', [])]);
    expect(without).toEqual({ ok: true, value: { sdkLoaded: false } });
    expect(present).toEqual({ ok: true, value: { sdkLoaded: false } });
  });

  it('telemetry.otlp names each missing package; with them installed it loads them', async () => {
    const runs = await Promise.all([
      ...SDK.map((name) => scenario('tracesOn', [name])),
      scenario('tracesOn', []),
    ]);
    for (const [i, name] of SDK.entries()) {
      const missing = runs[i]!;
      expect(missing, name).toMatchObject({
        ok: false,
        missing: true,
        code: 'MISSING_DEPENDENCY',
        packageName: name,
      });
      expect(missing.message, name).toContain(`npm install ${name}`);
    }
    expect(runs[SDK.length]).toEqual({ ok: true, value: { sdkLoaded: true } });
  });
});
