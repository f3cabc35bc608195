import { McpServer, type Transport } from '@modelcontextprotocol/server';
import type { Tracer } from '../../telemetry/index.js';
import { traceTransport } from './traced-transport.js';

/**
 * An `McpServer` whose every connection is traced: one SERVER span per MCP request, whichever
 * transport connects it (the HTTP handlers, sessions and stdio all call `connect`).
 */
export class TracedMcpServer extends McpServer {
  constructor(
    private readonly tracer: Tracer,
    ...args: ConstructorParameters<typeof McpServer>
  ) {
    super(...args);
  }

  override connect(transport: Transport): Promise<void> {
    traceTransport(transport, this.tracer);
    return super.connect(transport);
  }
}
