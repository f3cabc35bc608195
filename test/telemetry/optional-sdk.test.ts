import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hiddenScenario } from '../helpers/hidden-packages.js';

// Traces need `@opentelemetry/api` alone: Conduit records spans and writes OTLP/HTTP JSON itself. With
// every OpenTelemetry SDK package hidden from a child process (Node's own resolution failure,
// test/helpers/hide-packages.mjs), a traced gateway still exports its spans, and never loads the SDK.
const child = fileURLToPath(new URL('./fixtures/optional-sdk-child.ts', import.meta.url));
const SDK = [
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/otlp-exporter-base',
  '@opentelemetry/otlp-transformer',
  '@opentelemetry/resources',
  '@opentelemetry/core',
];

const scenario = (name: string, hidden: string[]) => hiddenScenario(child, name, hidden);

describe('traces without the OpenTelemetry SDK', () => {
  it('a gateway without telemetry.otlp loads no SDK package', async () => {
    expect(await scenario('tracesOff', SDK)).toEqual({ ok: true, value: { sdkLoaded: false } });
  });

  it('telemetry.otlp exports a tool call’s spans with every SDK package hidden, and loads none', async () => {
    const run = await scenario('tracesOn', SDK);
    expect(run).toEqual({
      ok: true,
      value: {
        sdkLoaded: false,
        names: [
          'hidden-sdk: GET /assignments/1',
          'hidden-sdk: initialize',
          'hidden-sdk: notifications/initialized',
          'hidden-sdk: tools/call get_assignment',
        ],
      },
    });
  });
});
