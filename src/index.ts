/**
 * Conduit: a resilient toolkit and gateway for MCP servers. Each module is also its own subpath export
 * (`conduit/resilience`, `conduit/http`, `conduit/cache`, `conduit/webhooks`, `conduit/mcp`).
 */
export * from './core/index.js';
