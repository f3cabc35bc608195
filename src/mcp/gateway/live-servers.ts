import {
  type CallToolResult,
  type McpServer,
  PerRequestHTTPServerTransport,
  type RegisteredTool,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import { errorForLog, type Logger } from '../../core/index.js';
import type { ToolHandler } from './call-tracker.js';
import type { ToolDiff } from './config-diff.js';
import type { ServedTool } from './gateway-runtime.js';

const GONE: CallToolResult = {
  content: [{ type: 'text', text: 'This tool was removed by a config reload; list the tools again.' }],
  isError: true,
};

/**
 * The tools every session sees, across reloads. A session's tool runs whichever config is in force
 * when the call starts (a call in flight finishes where it started); a reload re-registers only the
 * tools whose definition changed, on every connected session, and tells each that the list changed.
 */
export class LiveTools {
  private readonly sessions = new Map<McpServer, Map<string, RegisteredTool>>();

  /** `handlers`: the handlers of the config in force by tool name (refilled by each reload). */
  /** `events`: where 2026-07-28 `subscriptions/listen` streams over HTTP hear list changes. */
  constructor(
    private readonly handlers: ReadonlyMap<string, ToolHandler>,
    private readonly events: ServerEventBus,
    private readonly logger: Logger,
  ) {}

  /** Connected long-lived sessions (stdio, 2025-era HTTP sessions). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Registers the tools on a new server (before `connect`); tracked once connected. */
  register(server: McpServer, tools: readonly ServedTool[]): void {
    const handles = new Map<string, RegisteredTool>();
    for (const { tool } of tools) handles.set(tool.name, this.registerOne(server, tool));
    // Register and remove would notify one by one; a reload sends one notification itself.
    server.sendToolListChanged = () => {};
    const connect = server.connect.bind(server);
    server.connect = async (transport) => {
      await connect(transport);
      // Per-request HTTP instances (2026-07-28) hear list changes through the event bus.
      if (transport instanceof PerRequestHTTPServerTransport) return;
      this.sessions.set(server, handles);
      const previous = server.server.onclose;
      server.server.onclose = () => {
        this.sessions.delete(server);
        previous?.();
      };
    };
  }

  /**
   * Gives connected sessions the changed definitions of the tools now in force, and one
   * `notifications/tools/list_changed` each when the list changed.
   */
  swap(tools: readonly ServedTool[], diff: ToolDiff): void {
    const byName = new Map(tools.map((t) => [t.tool.name, t]));
    const listChanged = diff.added.length + diff.removed.length + diff.changed.length > 0;
    if (!listChanged) return;
    this.events.publish({ kind: 'tools_list_changed' });
    for (const [server, handles] of this.sessions) {
      for (const name of [...diff.removed, ...diff.changed]) {
        handles.get(name)?.remove();
        handles.delete(name);
      }
      for (const name of [...diff.changed, ...diff.added]) {
        const served = byName.get(name);
        if (served) handles.set(name, this.registerOne(server, served.tool));
      }
      server.server.sendToolListChanged().catch((err: unknown) => {
        this.logger.debug({ err: errorForLog(err) }, 'tools/list_changed not sent to a session');
      });
    }
  }

  private registerOne(server: McpServer, tool: ServedTool['tool']): RegisteredTool {
    const name = tool.name;
    // Looked up per call: the handler of the config in force when the call starts.
    const handler: ToolHandler = (args, ctx) => (this.handlers.get(name) ?? gone)(args, ctx);
    return server.registerTool(name, tool.config, handler as never);
  }
}

const gone: ToolHandler = async () => GONE;
