import { z } from 'zod';
import { UNSENDABLE_HEADERS, headerRecord } from './http-headers.js';
import { strictObject } from './strict-object.js';
import { duration, ratio } from './units.js';

const nonEmpty = (what: string) =>
  z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

/** The endpoint as a URL, or undefined when it is not one. */
function urlOf(v: string): URL | undefined {
  try {
    return new URL(v);
  } catch {
    return undefined;
  }
}

/**
 * An http(s) URL: where the OTLP/HTTP exporter posts spans. Credentials in it are refused rather than
 * dropped or sent: the messages never quote the URL (it may hold a secret).
 */
const otlpUrl = z.string().superRefine((v, ctx) => {
  const u = urlOf(v);
  if (u === undefined || (u.protocol !== 'http:' && u.protocol !== 'https:'))
    ctx.addIssue({
      code: 'custom',
      message: 'expected an http(s) URL of an OTLP/HTTP receiver, e.g. http://127.0.0.1:4318/v1/traces',
    });
  else if (u.username !== '' || u.password !== '')
    ctx.addIssue({
      code: 'custom',
      message:
        'the endpoint may not carry credentials (user:password@): send them in telemetry.otlp.headers, ' +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${ENV} syntax, shown to its author
        'e.g. authorization: "Basic ${OTLP_BASIC}"',
    });
});

/** What the exporter writes itself (the body is always OTLP JSON, sent to the endpoint's host). */
const EXPORTER_HEADERS = new Set([
  ...UNSENDABLE_HEADERS,
  'content-type',
  'content-encoding',
  'host',
  'connection',
]);

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
    headers: headerRecord(EXPORTER_HEADERS, 'the exporter (OTLP/HTTP JSON)').optional(),
    /** How long one export may take; at shutdown, the last export of what is queued in all. */
    timeout: duration().default(10_000),
  }).optional(),
});
