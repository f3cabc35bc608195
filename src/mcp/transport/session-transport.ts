import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  type AuthInfo,
  isInitializeRequest,
  type JSONRPCMessage,
  parseJSONRPCMessage,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';
import { attachedAuthInfo } from './auth-info.js';
import { sendJsonRpcStatus } from './json-rpc-answers.js';
import type { NodeMessageExtra } from './message-extra.js';
import type { PresentsCredential } from './presented-caller.js';
import { getHeadersRefusal, postRefusal, type Refusal, sessionRefusal } from './session-checks.js';
import { oneWriteHeaders, SseResponse, sseEvent } from './sse-response.js';

type RequestId = string | number;

/** Options of a {@link SessionTransport}. */
export interface SessionTransportOptions {
  /** The id the session gets at initialize. */
  sessionIdGenerator: () => string;
  /** Interval of the SSE keep-alive comments, ms (default 15 s; 0 turns them off). */
  keepAliveMs?: number;
  onsessioninitialized?: (sessionId: string) => void;
  /** Called when the client ends the session (DELETE). */
  onsessionclosed?: (sessionId: string) => void;
}

/** The answer stream of one POST and the requests of it still unanswered. */
interface PostStream {
  sse: SseResponse;
  pending: number;
  readonly ids: readonly RequestId[];
}

const DEFAULT_KEEP_ALIVE_MS = 15_000;
/**
 * Unsent bytes the standalone stream may hold for a client that does not read it. It carries only
 * notifications, as many as changes come (webhook deliveries), so without a bound a stalled client
 * would have the gateway buffer them for as long as its session lives.
 */
const STANDALONE_MAX_BACKLOG_BYTES = 1024 * 1024;
/** Requests whose SSE answer always carries at least one event: the answer itself. */
const ANSWERED_METHODS = new Set(['tools/call', 'resources/read', 'prompts/get']);

const STREAM_CONFLICT: Refusal = {
  status: 409,
  code: -32000,
  message: 'Conflict: Only one SSE stream is allowed per session',
};

const isRequest = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId; method: string } =>
  'method' in m && 'id' in m;
const isResponse = (m: JSONRPCMessage): m is JSONRPCMessage & { id?: RequestId } =>
  'result' in m || 'error' in m;

/**
 * One 2025-era MCP session over Streamable HTTP, on node:http: the SDK server's `Transport`, written
 * straight to node requests and responses (no web Request/Response per call). A POST's requests are
 * answered on that POST's SSE stream, its notifications and responses with 202; GET opens the
 * session's one standalone stream (server notifications); DELETE ends the session. No event store:
 * a stream the client closes is not resumable, so its unanswered requests are cancelled.
 */
export class SessionTransport implements Transport, PresentsCredential {
  sessionId: string | undefined;
  /**
   * The credential of the latest request served on this session (the registry let only its owner's
   * through): what its subscriptions are told of is decided against it, not against the token they
   * were made with.
   */
  presentedAuth: AuthInfo | undefined;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];

  private started = false;
  private closed = false;
  private supported: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;
  private sseHeaders: OutgoingHttpHeaders = {};
  /** `sseHeaders` as the one-write answer of a call sends them (see oneWriteHeaders). */
  private oneWrite: string[] | undefined;
  private readonly keepAliveMs: number;
  private readonly streams = new Map<RequestId, PostStream>();
  private standalone: SseResponse | undefined;

  constructor(private readonly options: SessionTransportOptions) {
    this.keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('Transport already started');
    this.started = true;
  }

  /** The protocol versions the server speaks, for the `MCP-Protocol-Version` check (set at connect). */
  setSupportedProtocolVersions(versions: string[]): void {
    this.supported = versions;
  }

  /** Serves one HTTP request of this session; `body` is the parsed POST body. */
  async handleRequest(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (this.closed) return this.refuse(res, { status: 404, code: -32001, message: 'Session not found' });
    this.presentedAuth = attachedAuthInfo(req) ?? this.presentedAuth;
    switch (req.method) {
      case 'POST':
        return this.post(req, res, body);
      case 'GET':
        return this.openStandalone(req, res);
      case 'DELETE':
        return this.end(req, res);
      default:
        return this.refuse(
          res,
          { status: 405, code: -32000, message: 'Method not allowed.' },
          { allow: 'GET, POST, DELETE' },
        );
    }
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const response = isResponse(message);
    const requestId = response ? message.id : options?.relatedRequestId;
    if (requestId === undefined) {
      if (response)
        throw new Error(
          'Cannot send a response on a standalone SSE stream unless resuming a previous client request',
        );
      this.standalone?.write(sseEvent(message));
      return;
    }
    const stream = this.streams.get(requestId);
    if (stream === undefined) {
      // Its stream was closed (and the request cancelled): a notification has nowhere to go.
      if (response) throw new Error(`No connection established for request ID: ${String(requestId)}`);
      return;
    }
    const event = sseEvent(message);
    if (!response) {
      stream.sse.write(event);
      return;
    }
    this.streams.delete(requestId);
    if (--stream.pending > 0) stream.sse.write(event);
    else stream.sse.end(event);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stream of new Set(this.streams.values())) stream.sse.end();
    this.streams.clear();
    this.standalone?.end();
    this.standalone = undefined;
    this.onclose?.();
  }

  private post(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const opening = this.sessionId === undefined;
    const messages = this.admitPost(req, body);
    if (!Array.isArray(messages)) {
      this.refuse(res, messages);
      return;
    }
    if (opening) this.closeUnlessDelivered(res);
    const auth = (req as IncomingMessage & { auth?: AuthInfo }).auth;
    const extra: NodeMessageExtra =
      auth !== undefined ? { authInfo: auth, nodeRequest: req } : { nodeRequest: req };
    const requests = messages.filter(isRequest);
    if (requests.length === 0) {
      for (const m of messages) this.onmessage?.(m, extra);
      res.writeHead(202).end();
      return;
    }
    const first = messages[0]!;
    const deferHeaders = messages.length === 1 && 'method' in first && ANSWERED_METHODS.has(first.method);
    const ids = requests.map((r) => r.id);
    const stream: PostStream = {
      sse: new SseResponse(res, this.sseHeaders, this.keepAliveMs, deferHeaders, this.oneWrite),
      pending: ids.length === 1 ? 1 : new Set(ids).size,
      ids,
    };
    for (const id of ids) this.streams.set(id, stream);
    res.once('close', () => this.dropped(stream));
    for (const m of messages) this.onmessage?.(m, extra);
  }

  /** The POST's messages once its headers, body and session are in order; otherwise why not. */
  private admitPost(req: IncomingMessage, body: unknown): JSONRPCMessage[] | Refusal {
    const refused = postRefusal(req, body);
    if (refused) return refused;
    let messages: JSONRPCMessage[];
    try {
      messages = Array.isArray(body) ? body.map((m) => parseJSONRPCMessage(m)) : [parseJSONRPCMessage(body)];
    } catch (err) {
      this.onerror?.(err as Error);
      return { status: 400, code: -32700, message: 'Parse error: Invalid JSON-RPC message' };
    }
    const initializing = messages.some(
      (m) => 'method' in m && m.method === 'initialize' && isInitializeRequest(m),
    );
    const invalid = initializing
      ? this.initialize(messages.length)
      : sessionRefusal(req, this.sessionId, this.supported);
    return invalid ?? messages;
  }

  /** Settles the session id at its initialize; a refusal for a second one or one inside a batch. */
  private initialize(messageCount: number): Refusal | undefined {
    if (this.sessionId !== undefined)
      return { status: 400, code: -32600, message: 'Invalid Request: Server already initialized' };
    if (messageCount > 1)
      return {
        status: 400,
        code: -32600,
        message: 'Invalid Request: Only one initialization request is allowed',
      };
    const id = this.options.sessionIdGenerator();
    this.sessionId = id;
    const headers = {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'mcp-session-id': id,
    };
    this.sseHeaders = headers;
    this.oneWrite = oneWriteHeaders(headers);
    this.options.onsessioninitialized?.(id);
    return undefined;
  }

  /**
   * The session id reaches the client only in its initialize answer: when that answer was not
   * written out in full before the connection closed (a reset, a client gone first), no client can
   * ever name the session, so it is closed now rather than holding a place of the session caps
   * until the idle sweep. A client that closes after reading its answer keeps its session.
   */
  private closeUnlessDelivered(res: ServerResponse): void {
    res.once('close', () => {
      if (!res.writableFinished) void this.close();
    });
  }

  /**
   * The client closed a POST before all its answers: they can no longer reach it (no event store),
   * so the session is handed the `notifications/cancelled` the client did not send, one per request
   * still running; the SDK aborts those handlers' signals, and with them their upstream requests.
   */
  private dropped(stream: PostStream): void {
    if (stream.pending === 0) return;
    stream.sse.dropped();
    for (const requestId of stream.ids) {
      if (this.streams.get(requestId) !== stream) continue;
      this.streams.delete(requestId);
      this.onmessage?.({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId, reason: 'the client closed the request before its answer' },
      });
    }
  }

  /** Whether the client holds the session's standalone stream open (it listens for notifications). */
  get listening(): boolean {
    return this.standalone !== undefined;
  }

  private openStandalone(req: IncomingMessage, res: ServerResponse): void {
    const refused =
      getHeadersRefusal(req) ??
      sessionRefusal(req, this.sessionId, this.supported) ??
      (this.standalone !== undefined ? STREAM_CONFLICT : undefined);
    if (refused) {
      this.refuse(res, refused);
      return;
    }
    const sse = new SseResponse(
      res,
      this.sseHeaders,
      this.keepAliveMs,
      false,
      undefined,
      STANDALONE_MAX_BACKLOG_BYTES,
    );
    this.standalone = sse;
    res.once('close', () => {
      sse.dropped();
      if (this.standalone === sse) this.standalone = undefined;
    });
  }

  private async end(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = sessionRefusal(req, this.sessionId, this.supported);
    if (refused) return this.refuse(res, refused);
    try {
      this.options.onsessionclosed?.(this.sessionId!);
      res.writeHead(200).end();
    } finally {
      await this.close();
    }
  }

  private refuse(res: ServerResponse, r: Refusal, headers?: Record<string, string>): void {
    this.onerror?.(new Error(r.message));
    sendJsonRpcStatus(res, r.status, r.code, r.message, headers);
  }
}
