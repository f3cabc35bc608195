import { type GatewayConfig, type GatewayConfigInput, gatewayConfigSchema } from '../../src/config/index.js';

/**
 * A config written in a test, run through the config schema as a file would be (a field the schema
 * does not know is an error, defaults are filled in). Only the schema: the cross-references are left
 * for the gateway to refuse, which is what several tests check. HTTP listens on an ephemeral port
 * unless the test names one, so parallel test files never fight over the schema's default port.
 */
export function testConfig(input: GatewayConfigInput): GatewayConfig {
  return gatewayConfigSchema.parse({
    ...input,
    server: { ...input.server, http: { port: 0, ...input.server?.http } },
  });
}

export type { GatewayConfig, GatewayConfigInput };

/** One tool as written in a config. */
export type ToolInput = NonNullable<GatewayConfigInput['tools']>[number];
/** One upstream as written in a config. */
export type UpstreamInput = NonNullable<GatewayConfigInput['upstreams']>[string];
/** A written config whose upstreams and tools a test may edit in place before `testConfig`. */
export type TestConfigInput = GatewayConfigInput & {
  upstreams: Record<string, UpstreamInput>;
  tools: ToolInput[];
};
