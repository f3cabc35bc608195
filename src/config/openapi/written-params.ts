import { defaultLocation, type ParamLocation, type ToolConfig } from '../schema.js';

/** A `params` entry as a config file holds it: a location, or its object form. */
export type WrittenParam =
  | ParamLocation
  | { in: ParamLocation; explode?: boolean; json?: boolean; whole?: boolean };

/**
 * A tool's `params` as written in a config file: the object form (`{ in: query, explode: false }`,
 * `{ in: body, whole: true }`, `{ in: header, json: true }`) where its `wire` needs more than a
 * location, a plain location elsewhere. `omitDefaults` leaves out the locations the method and path
 * give anyway (what `conduit init` writes). Parsing the result with `toolSchema` gives back `params`
 * and `wire`.
 */
export function writtenParams(tool: ToolConfig, omitDefaults = false): Record<string, WrittenParam> {
  const out: Record<string, WrittenParam> = {};
  const wire = tool.wire;
  for (const [name, location] of Object.entries(tool.params)) {
    const form = {
      ...(wire?.bodyArgument === name ? { whole: true } : {}),
      ...(wire?.commaSeparatedQuery.includes(name) ? { explode: false } : {}),
      ...(wire?.jsonEncoded.includes(name) ? { json: true } : {}),
    };
    if (Object.keys(form).length > 0) out[name] = { in: location, ...form };
    else if (!omitDefaults || location !== defaultLocation(name, tool.method, tool.path))
      out[name] = location;
  }
  return out;
}
