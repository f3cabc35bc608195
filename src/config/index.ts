/**
 * `conduit-mcp/config`: the gateway config. A zod schema (strict: unknown keys are errors), `${ENV}`
 * interpolation, YAML/JSON loading with every problem reported by path and line, and the JSON Schema
 * for editors (`schema/conduit.schema.json`).
 *
 * @example
 * ```ts
 * import { loadConfig } from 'conduit-mcp/config';
 * const config = await loadConfig('conduit.yaml'); // throws ConfigValidationError listing every problem
 * config.tools[0].cache?.ttl; // ms
 * ```
 */
export { parseConfig, loadConfig, type ParseConfigOptions } from './load.js';
export { configLocator } from './locate.js';
export { ConfigValidationError, type ConfigProblem, formatPath, formatProblem } from './problems.js';
export { interpolate, type ConfigPath, type InterpolationResult } from './interpolate.js';
export {
  gatewayConfigSchema,
  toolSchema,
  upstreamSchema,
  cachePolicySchema,
  templateNames,
  defaultLocation,
  TOOL_NAME_PATTERN,
  type GatewayConfig,
  type GatewayConfigInput,
  type ServerConfig,
  type HttpServerConfig,
  type LoggingConfig,
  type CacheConfig,
  type UpstreamConfig,
  type UpstreamAuthConfig,
  type TimeoutsConfig,
  type RetryConfig,
  type BreakerConfig,
  type BulkheadConfig,
  type RateLimitConfig,
  type ToolConfig,
  type CachePolicyConfig,
  type InvalidatesConfig,
  type ParamLocation,
  type HttpMethodName,
  type ToolWireConfig,
  type WebhooksConfig,
  type WebhookEndpointConfig,
  type WebhookActionConfig,
  type MetricsConfig,
  type TelemetryConfig,
  type ListenerConfig,
  type HealthConfig,
  type OperatorConfig,
  type StaticTokenConfig,
  type ResourceServerConfig,
  type PolicySectionConfig,
  type AuditSectionConfig,
  type LimitConfig,
  type ResourcesConfig,
  type ResourceTemplateConfig,
} from './schema.js';
export { defineConfig } from './define.js';
export { parseDuration, parseSize } from './units.js';
export { didYouMean } from './did-you-mean.js';
export { buildJsonSchema } from './json-schema.js';
export { CONDUIT_VERSION } from './package-version.js';
export * from './openapi/index.js';
export {
  checkTemplateTarget,
  type TemplateTarget,
  type TemplateTargetIndex,
  type TargetProblem,
} from './resource-targets.js';
export { templateTargetIndex } from './resource-check.js';
export {
  FRAMING_HEADERS,
  reservedRequestNames,
  reservedArgumentProblem,
  type ReservedRequestNames,
  type UpstreamCredentialsShape,
} from './request-safety.js';
export { cacheKeyProblems, cacheKeyCollisions, type CacheKeyTool } from './cache-keys.js';
export { configSecrets } from './secrets.js';
export { configWarnings } from './warnings.js';
export { KEY_ALIASES, type KeyAlias } from './key-aliases.js';
export type {
  AnswerShapeConfig,
  FixedValueConfig,
  ToolAnnotationsConfig,
  ToolPaginationConfig,
} from './tool-features-schema.js';
export { CONFIRM_ARGUMENT_SCHEMA, CURSOR_ARGUMENT_SCHEMA, modelInputOf } from './published-input.js';
export { isHeaderText } from './http-headers.js';
