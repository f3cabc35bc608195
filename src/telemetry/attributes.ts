/**
 * Attribute names of the OpenTelemetry semantic conventions used here (MCP, GenAI, HTTP, error), and
 * Conduit's own under `conduit.*` for what the conventions do not name (cache tiers, webhook outcomes).
 */
export const ATTR = {
  mcpMethod: 'mcp.method.name',
  mcpSession: 'mcp.session.id',
  mcpProtocolVersion: 'mcp.protocol.version',
  mcpResourceUri: 'mcp.resource.uri',
  jsonrpcRequestId: 'jsonrpc.request.id',
  toolName: 'gen_ai.tool.name',
  promptName: 'gen_ai.prompt.name',
  rpcStatus: 'rpc.response.status_code',
  networkProtocol: 'network.protocol.name',
  genAiOperation: 'gen_ai.operation.name',
  networkTransport: 'network.transport',
  errorType: 'error.type',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  urlTemplate: 'url.template',
  urlFull: 'url.full',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  retryCount: 'http.request.resend_count',
  cacheTier: 'conduit.cache.tier',
  cacheResult: 'conduit.cache.result',
  cacheTags: 'conduit.cache.tags',
  upstream: 'conduit.upstream',
  webhookEndpoint: 'conduit.webhook.endpoint',
  webhookOutcome: 'conduit.webhook.outcome',
} as const;

/** Span event names (retries, breaker transitions, stampede waits, stale answers). */
export const EVENT = {
  retry: 'conduit.retry',
  breaker: 'conduit.breaker.transition',
  stampedeWait: 'conduit.cache.stampede_wait',
  staleIfError: 'conduit.cache.stale_if_error',
  invalidate: 'conduit.cache.invalidate',
} as const;
