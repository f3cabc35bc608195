import type { IncomingMessage, ServerResponse } from 'node:http';

/** How much of an oversized upload is read and dropped so that its sender gets to read the 413. */
export const DRAIN_BYTES = 4 * 1024 * 1024;

export type BodyRead = { kind: 'ok'; text: string } | { kind: 'too_large' } | { kind: 'aborted' };

/**
 * Reads the request body up to `limit` bytes. Over the limit it stops keeping bytes and answers
 * `too_large` at once, leaving the stream to {@link refuseTooLarge}: breaking off the read would destroy
 * the socket while the sender is still uploading, and it would see a reset instead of the answer.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (r: BodyRead) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.pause();
        done({ kind: 'too_large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () =>
      done({
        kind: 'ok',
        text: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8'),
      });
    const onGone = () => done({ kind: 'aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

/**
 * Answers an oversized request with `answer` at once, then reads and drops up to `drainBytes` more of
 * its body so that the sender, still uploading, reads the answer instead of a connection reset. The
 * connection is closed once the body has ended (or at once past `drainBytes`); the listener's request
 * timeout bounds how long a slow sender can keep it.
 */
export function refuseTooLarge(
  req: IncomingMessage,
  res: ServerResponse,
  answer: () => void,
  drainBytes: number = DRAIN_BYTES,
): void {
  let drained = 0;
  const close = () => {
    req.off('data', onData);
    req.socket?.destroySoon?.();
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > drainBytes) close();
  };
  if (!req.complete) {
    req.on('data', onData);
    req.once('end', close);
    req.resume();
  }
  // No `Connection: close` header: node:http would then destroy the socket as soon as the answer is
  // written, unread upload and all; the socket is closed by `close` once the upload is drained.
  answer();
  if (req.complete) res.once('finish', close);
}
