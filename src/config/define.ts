import { crossCheck } from './cross-check.js';
import { type ConfigProblem, ConfigValidationError, formatPath } from './problems.js';
import { type GatewayConfig, type GatewayConfigInput, gatewayConfigSchema } from './schema.js';

/**
 * A config written in code, validated as a file is (the schema and the cross-checks: tool → upstream,
 * template holes, …): defaults filled in, durations in ms, sizes in bytes. Throws
 * `ConfigValidationError` listing every problem by path; a key the schema does not know is one.
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
  const problem = (segments: (string | number)[], message: string): ConfigProblem => ({
    path: formatPath(segments),
    segments,
    message,
  });
  const problems = crossCheck(input).map((p) => problem([...p.path], p.message));
  const result = gatewayConfigSchema.safeParse(input);
  if (!result.success)
    for (const issue of result.error.issues)
      problems.push(
        problem(
          issue.path.filter((s): s is string | number => typeof s !== 'symbol'),
          issue.message,
        ),
      );
  if (problems.length > 0 || !result.success) throw new ConfigValidationError(source, problems);
  return result.data;
}
