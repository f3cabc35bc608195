import { ConfigError } from '../../core/index.js';
import type { GatewayConfig } from '../../config/index.js';
import { checkResourcesConfig } from '../resources/resources-layer.js';

/**
 * Refuses a config whose parts do not fit together, before anything is built for it: a tool naming an
 * unknown upstream, a tool name used twice, a `resources` section naming unknown tools.
 */
export function checkGatewayConfig(config: GatewayConfig): void {
  const seen = new Set<string>();
  for (const [i, tool] of config.tools.entries()) {
    if (!(tool.upstream in config.upstreams))
      throw new ConfigError(
        `tools[${i}] (${tool.name}) names upstream "${tool.upstream}", which is not configured; known upstreams: ${Object.keys(config.upstreams).join(', ') || 'none'}`,
      );
    if (seen.has(tool.name)) throw new ConfigError(`tools[${i}]: the tool name "${tool.name}" is used twice`);
    seen.add(tool.name);
  }
  checkResourcesConfig(config);
}
