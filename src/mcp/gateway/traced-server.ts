import { McpServer, type ServerContext, type Transport } from '@modelcontextprotocol/server';
import { setTraceContext, type Tracer } from '../../telemetry/index.js';
import { type RequestContexts, traceTransport } from './traced-transport.js';

type Callback = (...args: unknown[]) => unknown;

/**
 * An `McpServer` whose every connection is traced: one SERVER span per MCP request, whichever
 * transport connects it (the HTTP handlers, sessions and stdio all call `connect`). Tool and
 * resource callbacks find their request's trace context on their `ServerContext`
 * (`traceContextOf(ctx)`), handed down from there without a context manager.
 */
export class TracedMcpServer extends McpServer {
  private contexts: RequestContexts | undefined;

  constructor(
    private readonly tracer: Tracer,
    ...args: ConstructorParameters<typeof McpServer>
  ) {
    super(...args);
    // Instance wrappers, not overrides: the overloads of `registerResource` stay as the SDK types them.
    this.registerTool = this.wrapLastCallback(this.registerTool);
    this.registerResource = this.wrapLastCallback(this.registerResource);
  }

  override connect(transport: Transport): Promise<void> {
    this.contexts = traceTransport(transport, this.tracer);
    return super.connect(transport);
  }

  /** `register` with its callback (the last argument) traced. */
  private wrapLastCallback<F extends (...a: never[]) => unknown>(register: F): F {
    const bound = (register as unknown as Callback).bind(this);
    return ((...a: unknown[]) => {
      a[a.length - 1] = this.traced(a[a.length - 1] as Callback);
      return bound(...a);
    }) as unknown as F;
  }

  /** `callback` (whose last argument is the request's context) with its request's trace context on it. */
  private traced(callback: Callback): Callback {
    return (...a: unknown[]) => {
      const ctx = a[a.length - 1] as ServerContext | undefined;
      const found = ctx?.mcpReq !== undefined ? this.contexts?.(ctx.mcpReq.id) : undefined;
      if (found !== undefined) setTraceContext(ctx!, found);
      return callback(...a);
    };
  }
}
