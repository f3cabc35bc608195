import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Transport } from '@modelcontextprotocol/server';
import { ConfigError, type Logger } from '../../core/index.js';
import type { Gateway } from '../gateway/gateway.js';

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
 * Serves the gateway on this process's stdin/stdout; both protocol eras (the opening message picks one
 * per connection). Nothing else may write to stdout: logs go to stderr.
 */
export function serveGatewayStdio(
  gateway: Gateway,
  options: { logger: Logger; transport?: Transport },
): StdioGatewayServer {
  const log = options.logger;
  if (gateway.auditDestination === 'stdout' && !options.transport)
    throw new ConfigError(
      'audit.destination: stdout carries the MCP protocol in stdio mode; send the audit stream to stderr or a file',
    );
  const handle = serveStdio(() => gateway.createServer(), {
    onerror: (err) => log.debug({ err: err.message }, 'stdio transport error'),
    ...(options.transport ? { transport: options.transport } : {}),
  });
  log.info({ tools: gateway.toolNames.length }, 'MCP stdio server ready');
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
      })();
      return closed;
    },
  };
}
