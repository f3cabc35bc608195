import type { IncomingMessage, ServerResponse } from 'node:http';

/** How much of a refused upload is read and dropped so that its sender gets to read the answer. */
export const DRAIN_BYTES = 4 * 1024 * 1024;

/** An answer to write: status, headers and a small body. */
export interface RefusalAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Answers a request whose body will not be read (too large, wrong method or type) without losing the
 * answer: node:http closes the connection as soon as an answer is ended, and a sender still uploading
 * then sees a reset (EPIPE, ECONNRESET) instead of it. So the whole answer is written at once (it has a
 * Content-Length, so the sender can read it), but ended only once the rest of the body has been read
 * and dropped; past `drainBytes` the connection is destroyed instead. The listener's request timeout
 * bounds how long a slow sender can keep it open.
 */
export function refuseUpload(
  req: IncomingMessage,
  res: ServerResponse,
  answer: RefusalAnswer,
  drainBytes: number = DRAIN_BYTES,
): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(answer.body, 'utf8');
  res.writeHead(answer.status, { ...answer.headers, 'content-length': body.length });
  if (req.complete || req.destroyed) {
    res.end(body);
    return;
  }
  res.write(body);
  let drained = 0;
  const settle = () => {
    req.off('data', onData);
    req.off('end', settle);
    req.off('close', settle);
    req.off('error', settle);
    res.end();
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained <= drainBytes) return;
    settle();
    req.socket?.destroy();
  };
  req.on('data', onData);
  req.once('end', settle);
  req.once('close', settle);
  // A sender that goes away mid-upload is nothing to report; without a listener it would throw.
  req.once('error', settle);
  req.resume();
}
