import { z } from 'zod';
import { gatewayConfigSchema } from './schema.js';

/** The JSON Schema of the config file as written (before defaults), for editors. */
export function buildJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(gatewayConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    title: 'Conduit gateway config',
    description:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: documents the ${} syntax
      'conduit serve --config <file>: upstream APIs and the MCP tools made from them. Strings may use ${ENV_VAR} or ${ENV_VAR:-default}.',
  };
}
