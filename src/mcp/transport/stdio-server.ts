import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import { type JSONRPCMessage, ProtocolErrorCode, type Transport } from '@modelcontextprotocol/server';
import { ConfigError, errorForLog, type Logger } from '../../core/index.js';
import type { Gateway } from '../gateway/gateway.js';
import { JsonLines } from './json-lines.js';

/**
 * What a line that is not JSON is answered with: JSON-RPC 2.0's parse error, for no request id
 * (`id: null`, which the SDK's message type has no room for; its transport writes it as it is).
 */
const PARSE_ERROR = {
  jsonrpc: '2.0',
  id: null,
  error: { code: ProtocolErrorCode.ParseError, message: 'Parse error: the line is not valid JSON.' },
} as unknown as JSONRPCMessage;

/** What a JSON line that is no JSON-RPC message is answered with: Invalid Request, for the id it names. */
function invalidRequest(id: string | number | null): JSONRPCMessage {
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: ProtocolErrorCode.InvalidRequest,
      message: 'Invalid Request: the line is not a JSON-RPC message (one object per line, params an object).',
    },
  } as unknown as JSONRPCMessage;
}
/** Characters of such a line the log shows: enough to tell what wrote it, not what it carried. */
const LOGGED_START = 32;

export interface StdioGatewayServer {
  /** Lets running calls finish (up to `deadlineMs`) and their answers reach stdout, then disconnects. */
  close(deadlineMs: number): Promise<void>;
}

/** Waits until everything written to stdout so far has been handed to the OS. */
async function flushStdout(): Promise<void> {
  // The SDK writes a result a few microtasks after the handler returns.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const out = process.stdout;
  if (out.writableNeedDrain) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  await new Promise<void>((resolve) => out.write('', () => resolve()));
}

/**
 * The SDK's stdio transport over this process's stdin/stdout, with stdin read through `JsonLines`:
 * a line that is not JSON is answered with a parse error and logged (its start only, secrets
 * scrubbed) instead of dropped without a word. `release` stops reading stdin once the transport closed.
 */
function stdioWire(gateway: Gateway, log: Logger): { wire: Transport; release(): void } {
  const stdin = process.stdin;
  const lines = new JsonLines((line, bytes, why) => {
    // Scrubbed whole, then cut: a secret that starts in the shown part is replaced, not half shown.
    const start = gateway.redact(line).slice(0, LOGGED_START);
    if (why.kind === 'parse')
      log.warn({ bytes, start }, 'stdio: a line that is not valid JSON was answered with a parse error');
    else
      log.warn(
        { bytes, start },
        'stdio: a line that is no JSON-RPC message was answered with Invalid Request',
      );
    wire.send(why.kind === 'parse' ? PARSE_ERROR : invalidRequest(why.id)).catch((err: unknown) => {
      log.debug({ err: errorForLog(err) }, 'stdio parse error answer not sent');
    });
  });
  const wire = new StdioServerTransport(stdin.pipe(lines), process.stdout);
  return {
    wire,
    release() {
      stdin.unpipe(lines);
      // As the SDK's transport does on close: a stdin no one reads must not keep the process alive.
      if (stdin.listenerCount('data') === 0) stdin.pause();
    },
  };
}

/**
 * Serves the gateway on this process's stdin/stdout; both protocol eras (the opening message picks one
 * per connection). Nothing else may write to stdout: logs go to stderr. A line on stdin that is not
 * JSON is answered with a JSON-RPC parse error (`id: null`) and logged at warn.
 */
export function serveGatewayStdio(
  gateway: Gateway,
  options: { logger: Logger; transport?: Transport; listenerUrl?: string | undefined },
): StdioGatewayServer {
  const log = options.logger;
  if (gateway.auditDestination === 'stdout' && !options.transport)
    throw new ConfigError(
      'audit.destination: stdout carries the MCP protocol in stdio mode; send the audit stream to stderr or a file',
    );
  const own = options.transport ? undefined : stdioWire(gateway, log);
  const handle = serveStdio(() => gateway.createServer(), {
    onerror: (err) => log.debug({ err: err.message }, 'stdio transport error'),
    transport: options.transport ?? own!.wire,
  });
  // Stdout is the protocol's, so the side listener (webhooks, /metrics, probes) is announced here.
  const listener = options.listenerUrl !== undefined ? { listenerUrl: options.listenerUrl } : {};
  log.info({ tools: gateway.toolNames.length, ...listener }, 'MCP stdio server ready');
  let closed: Promise<void> | undefined;
  return {
    close(deadlineMs) {
      closed ??= (async () => {
        log.info({ inFlight: gateway.inFlight, deadlineMs }, 'shutting down: waiting for calls in flight');
        const finished = await gateway.drain(deadlineMs);
        if (!finished) {
          log.warn({ inFlight: gateway.inFlight }, 'shutdown deadline reached: aborting the calls in flight');
          // The aborted calls answer at once with a "cut short" error; let those reach the client.
          await gateway.drain(1000);
        }
        if (!options.transport) await flushStdout();
        await handle.close();
        own?.release();
      })();
      return closed;
    },
  };
}
