import type { IncomingMessage } from 'node:http';

export type BodyRead = { kind: 'ok'; text: string } | { kind: 'too_large' } | { kind: 'aborted' };

/**
 * Reads the request body up to `limit` bytes. Over the limit it stops keeping bytes and answers
 * `too_large` at once, leaving the stream to `refuseUpload` (conduit/core): breaking off the read would destroy
 * the socket while the sender is still uploading, and it would see a reset instead of the answer.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => new BodyReader(req, limit, resolve));
}

/**
 * One read's state and listeners, bound once: under tsx (how the bench runs the source) each named
 * closure made per request costs a defineProperty of its name.
 */
class BodyReader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly onData: (chunk: Buffer) => void;
  private readonly onEnd: () => void;
  private readonly onGone: () => void;

  constructor(
    private readonly req: IncomingMessage,
    private readonly limit: number,
    private readonly resolve: (r: BodyRead) => void,
  ) {
    this.onData = this.data.bind(this);
    this.onEnd = this.end.bind(this);
    this.onGone = this.gone.bind(this);
    req.on('data', this.onData);
    req.on('end', this.onEnd);
    req.on('error', this.onGone);
    req.on('close', this.onGone);
  }

  private data(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.chunks.length = 0;
      this.req.pause();
      this.done({ kind: 'too_large' });
      return;
    }
    this.chunks.push(chunk);
  }

  private end(): void {
    const { chunks } = this;
    this.done({
      kind: 'ok',
      text: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size)).toString('utf8'),
    });
  }

  private gone(): void {
    this.done({ kind: 'aborted' });
  }

  private done(r: BodyRead): void {
    const req = this.req;
    req.off('data', this.onData);
    req.off('end', this.onEnd);
    req.off('error', this.onGone);
    req.off('close', this.onGone);
    this.resolve(r);
  }
}
