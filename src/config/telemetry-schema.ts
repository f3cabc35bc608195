import { z } from 'zod';
import { strictObject } from './strict-object.js';
import { duration, ratio } from './units.js';

const nonEmpty = (what: string) =>
  z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

/** An http(s) URL: where the OTLP/HTTP exporter posts spans. */
const otlpUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { error: 'expected an http(s) URL of an OTLP/HTTP receiver, e.g. http://127.0.0.1:4318/v1/traces' },
);

/**
 * OpenTelemetry traces (docs/operations.md, "Traces"). Without `otlp` no span is made; with it,
 * Conduit records the spans and exports them over OTLP/HTTP JSON itself (no SDK package needed).
 */
export const telemetrySchema = strictObject({
  /** `service.name` of every span. */
  serviceName: nonEmpty('a service name').default('conduit'),
  /** Share of new traces recorded (0 to 1); a request that arrives with a parent follows its sampling flag. */
  sampling: ratio(0, 1).default(1),
  otlp: strictObject({
    /** The OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces` (JSON encoding). */
    endpoint: otlpUrl,
    /** Sent with every export, e.g. a collector's API key (use `${ENV_VAR}`; never logged). */
    headers: z.record(z.string(), z.string()).optional(),
    /** How long one export may take. */
    timeout: duration().default(10_000),
  }).optional(),
});
