import { type GatewayConfig, type GatewayConfigInput, gatewayConfigSchema } from './schema.js';
import { ConfigValidationError, formatPath } from './problems.js';

/**
 * A config written in code, validated by the same schema as a file: defaults filled in, durations in
 * ms, sizes in bytes. Throws `ConfigValidationError` listing every problem by path. The gateway's own
 * cross-checks (tool → upstream, template holes) still run when the gateway is built.
 *
 * @example
 * ```ts
 * const config = defineConfig({
 *   upstreams: { api: { baseUrl: 'https://api.example.com' } },
 *   tools: [{ name: 'get_item', upstream: 'api', path: '/items/{id}', input: { properties: { id: { type: 'string' } } } }],
 * });
 * const gateway = createGateway(config);
 * ```
 */
export function defineConfig(input: GatewayConfigInput, source = 'config'): GatewayConfig {
  const result = gatewayConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigValidationError(
    source,
    result.error.issues.map((issue) => {
      const segments = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
      return { path: formatPath(segments), segments, message: issue.message };
    }),
  );
}
