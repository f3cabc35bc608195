/**
 * Conduit: a resilient toolkit and gateway for MCP servers. Each module is also its own subpath export
 * (`conduit-mcp/resilience`, `conduit-mcp/http`, `conduit-mcp/cache`, `conduit-mcp/webhooks`, `conduit-mcp/mcp`, `conduit-mcp/telemetry`).
 */
export * from './core/index.js';
