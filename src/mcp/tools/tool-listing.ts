import {
  fromJsonSchema,
  type jsonSchemaValidator,
  type StandardSchemaWithJSON,
} from '@modelcontextprotocol/server';
import type { GatewayConfig } from '../../config/index.js';
import type { ToolAnnotationHints } from './method-annotations.js';

/**
 * How much `tools/list` says beyond what the tools need (`server.toolListing`). `compact` lists what
 * a client cannot infer: every byte of a 1,200-tool list is in each model's context. `explicit` lists
 * every hint and the closed input marker, for clients that require them (ChatGPT Apps refuse a tool
 * without `readOnlyHint`, `destructiveHint` and `openWorldHint`; strict function calling wants
 * `additionalProperties: false`).
 */
export type ToolListing = NonNullable<GatewayConfig['server']>['toolListing'];

/** The MCP spec's value of each hint a tool leaves out. */
const SPEC_DEFAULTS: Readonly<ToolAnnotationHints> = Object.freeze({
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
});

const HINTS = Object.keys(SPEC_DEFAULTS) as (keyof ToolAnnotationHints)[];

/** What a tool lists of its hints: a subset of the four, none at all in compact listing of a POST. */
export type ListedAnnotations = Partial<ToolAnnotationHints>;

/**
 * The hints as `tools/list` carries them. A hint the config or the document sets is listed as set.
 * Of the hints derived from the method, `idempotentHint` is listed only when true on a tool that is
 * not read-only (the spec gives it meaning only then, and false is its default). `explicit` lists
 * `readOnlyHint`, `destructiveHint` and `openWorldHint` always; `compact` lists each only where it
 * differs from the spec's default, and no `destructiveHint` on a read-only tool, so a client reads
 * the same values either way.
 *
 * @example
 * listedAnnotations(annotationsForMethod('GET'), undefined, 'compact'); // { readOnlyHint: true }
 * listedAnnotations(annotationsForMethod('POST'), undefined, 'compact'); // undefined: all defaults
 */
export function listedAnnotations(
  hints: ToolAnnotationHints,
  given: Partial<ToolAnnotationHints> | undefined,
  listing: ToolListing,
): ListedAnnotations | undefined {
  const out: ListedAnnotations = {};
  for (const key of HINTS) {
    const value = hints[key];
    if (given?.[key] !== undefined || meaningful(key, hints, listing)) out[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Whether a derived hint says something to a client under this listing. */
function meaningful(key: keyof ToolAnnotationHints, hints: ToolAnnotationHints, listing: ToolListing) {
  if (key === 'idempotentHint') return hints.idempotentHint && !hints.readOnlyHint;
  if (listing === 'explicit') return true;
  if (key === 'destructiveHint' && hints.readOnlyHint) return false;
  return hints[key] !== SPEC_DEFAULTS[key];
}

/**
 * The input schema a tool lists and the SDK checks arguments against: checked as `enforced` always
 * (a closed schema refuses unlisted arguments whatever the listing), listed without the top-level
 * `additionalProperties: false` in compact listing.
 */
export function listedInputSchema(
  enforced: Record<string, unknown>,
  validator: jsonSchemaValidator,
  listing: ToolListing,
): StandardSchemaWithJSON {
  const schema = fromJsonSchema(enforced as never, validator);
  if (listing === 'explicit' || enforced.additionalProperties !== false) return schema;
  const { additionalProperties: _closed, ...listed } = enforced;
  const json = { input: () => listed, output: () => listed };
  return { '~standard': { ...schema['~standard'], jsonSchema: json } } as StandardSchemaWithJSON;
}
