/**
 * `conduit/mcp`: the gateway that turns configured upstream operations into resilient, cached MCP
 * tools on the official SDK's `McpServer`, served over stdio or Streamable HTTP.
 */
export { startGateway, type StartGatewayOptions, type RunningGateway } from './start-gateway.js';
export { createGateway, type Gateway, type GatewayDeps } from './gateway.js';
export {
  type ChangeFeed,
  type ResourceChange,
  type MemoryChangeFeedOptions,
  createMemoryChangeFeed,
  ChangeLog,
} from './change-feed.js';
export {
  createRedisChangeFeed,
  type RedisChangeFeed,
  type RedisChangeFeedOptions,
} from './change-feed-redis.js';
export { attachResourceSubscriptions, changeFeedEventBus } from './notifications.js';
export { HEALTH_URI, type ResourcesShape, type ResourceTemplateShape } from './resources.js';
export { HealthSections } from './resources-health.js';
export {
  changeFeedFromConfig,
  type ResourcesConfigShape,
  type ResourcesConfigPart,
} from './resources-layer.js';
export { RECENT_CHANGES_TOOL, registerRecentChangesTool } from './recent-changes.js';
export { serveHttp, type HttpServeOptions, type HttpGatewayServer } from './http-server.js';
export { serveGatewayStdio, type StdioGatewayServer } from './stdio-server.js';
export { InputValidator } from './input-validator.js';
export { KeyTemplate } from './key-template.js';
export { errorResult, describeFailure, ERROR_META_KEY } from './error-result.js';
export { successResult, type AnswerOrigin } from './tool-result.js';
export { CACHE_META_KEY, type GatewayCache, type CacheLookup, type GetOrSetOptions } from './cache-port.js';
export type {
  GatewayConfigShape,
  ToolShape,
  UpstreamShape,
  CachePolicyShape,
  HttpServerShape,
  ParamLocation,
} from './config-shape.js';
export {
  registerResilientTool,
  type ResilientToolOptions,
  type ResilientCachePolicy,
  type ResilientCallContext,
} from './resilient-tool.js';
