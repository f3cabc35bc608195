/**
 * `conduit-mcp/mcp`: the gateway that turns configured upstream operations into resilient, cached MCP
 * tools on the official SDK's `McpServer`, served over stdio or Streamable HTTP.
 */
export { startGateway, type StartGatewayOptions, type RunningGateway } from './gateway/start-gateway.js';
export { createGateway, type Gateway, type GatewayDeps } from './gateway/gateway.js';
export type { ReloadOutcome, ReloadProblem, ReloadReport } from './gateway/reload.js';
export {
  createReloader,
  type LoadedConfig,
  type Reloader,
  type ReloaderOptions,
} from './gateway/reloader.js';
export { RESTART_ONLY_KEYS } from './gateway/config-diff.js';
export {
  type ConfigWatchOptions,
  directoryWatcher,
  type FileWatcher,
  watchConfigFile,
} from './gateway/config-watch.js';
export { credentialNotes, type ConfigNote } from './gateway/cache-scope-notes.js';
export {
  type ChangeFeed,
  type ResourceChange,
  type MemoryChangeFeedOptions,
  createMemoryChangeFeed,
  ChangeLog,
} from './resources/change-feed.js';
export {
  createRedisChangeFeed,
  type RedisChangeFeed,
  type RedisChangeFeedOptions,
} from './resources/change-feed-redis.js';
export { attachResourceSubscriptions, changeFeedEventBus } from './resources/notifications.js';
export { HEALTH_URI } from './resources/resources.js';
export { HealthSections } from './resources/resources-health.js';
export { builtInToolNames, changeFeedFromConfig } from './resources/resources-layer.js';
export { RECENT_CHANGES_TOOL, registerRecentChangesTool } from './resources/recent-changes.js';
export { serveHttp, type HttpServeOptions, type HttpGatewayServer } from './transport/http-server.js';
export { serveGatewayStdio, type StdioGatewayServer } from './transport/stdio-server.js';
export { InputValidator } from './tools/input-validator.js';
export { KeyTemplate } from './tools/key-template.js';
export { errorResult, describeFailure, ERROR_META_KEY } from './tools/error-result.js';
export { successResult, type AnswerOrigin } from './tools/tool-result.js';
export {
  CACHE_META_KEY,
  type GatewayCache,
  type CacheLookup,
  type GetOrSetOptions,
} from './tools/cache-port.js';
export {
  registerResilientTool,
  type ResilientToolOptions,
  type ResilientCachePolicy,
  type ResilientCallContext,
} from './tools/resilient-tool.js';
export type { ToolServer } from './tools/tool-server.js';
