import type { IncomingMessage } from 'node:http';

export type BodyRead = { kind: 'ok'; text: string } | { kind: 'too_large' } | { kind: 'aborted' };

/**
 * Reads the request body up to `limit` bytes. Over the limit it stops keeping bytes and answers
 * `too_large` at once, leaving the stream to `refuseUpload` (conduit/core): breaking off the read would destroy
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
