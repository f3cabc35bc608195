import type { IncomingMessage } from 'node:http';
import type { MessageExtraInfo } from '@modelcontextprotocol/server';

/**
 * What Conduit's own HTTP transport hands each message beside the SDK's fields: the node request it
 * came on, whose headers (trace context, protocol version) are read from it when needed, rather than
 * building a web `Request` for every message.
 */
export interface NodeMessageExtra extends MessageExtraInfo {
  nodeRequest?: IncomingMessage;
}

/** A request header of the message's HTTP request, from a web `Request` or a node one; undefined off HTTP. */
export function httpHeaderOf(extra: MessageExtraInfo | undefined, name: string): string | undefined {
  const web = extra?.request?.headers.get(name);
  if (web !== undefined && web !== null) return web;
  const value = (extra as NodeMessageExtra | undefined)?.nodeRequest?.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** True when the message came over HTTP (a web or a node request), not a pipe. */
export function cameOverHttp(extra: MessageExtraInfo | undefined): boolean {
  return extra?.request !== undefined || (extra as NodeMessageExtra | undefined)?.nodeRequest !== undefined;
}
