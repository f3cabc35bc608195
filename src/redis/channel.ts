import { randomUUID } from 'node:crypto';
import { directRoundTrip, type RedisDriver, type RoundTrip } from './driver.js';

/**
 * Options of {@link openRedisChannel}. `M` is the payload: a JSON object whose fields sit next to the
 * sender's id `i` on the wire (`{"i":"<sender>", ...payload}`).
 */
export interface RedisChannelOptions<M extends object> {
  /** Any {@link RedisDriver} (node-redis URL driver, ioredis, ioredis Cluster). Left open by `close()`. */
  driver: RedisDriver;
  /** The pub/sub channel name, e.g. `<prefix>:bus`. */
  name: string;
  /**
   * Shape check of a decoded payload (the parsed object, `i` included): the payload, or `undefined`
   * to ignore the message. Anything that is not a JSON object with a string `i` never gets here.
   */
  decode(o: Record<string, unknown>): M | undefined;
  /** A payload published by another instance (this instance's own echoes are skipped). */
  onMessage(message: M): void;
  /** The subscription dropped, or the first subscribe failed: messages may be missed from now on. */
  onDown?(why: string): void;
  /** Subscribed again after `onDown`: no message is missed from here on. */
  onUp?(): void;
  /** Wraps each publish (e.g. the cache's L2 timeout and breaker). Default: none. */
  roundTrip?: RoundTrip;
}

/**
 * One Redis pub/sub channel shared by several instances of a process: a sender id on every message,
 * own echoes skipped, and the subscription's state reported once per change (down, then up).
 */
export interface RedisChannel<M extends object> {
  readonly name: string;
  /** This instance's id, carried as `i` by every message it publishes. */
  readonly instanceId: string;
  /** Resolves once subscribed, or once the first attempt failed (then `onDown` was called). Never rejects. */
  ready(): Promise<void>;
  /** Publishes `message` with this instance's id; rejects when Redis did not take it. */
  publish(message: M): Promise<void>;
  /** Stops delivering messages and state changes; the driver stays open (its owner closes it). */
  close(): void;
}

/**
 * Subscribes to `options.name` on `options.driver`. Pub/sub is at-most-once: a message published while
 * the subscription is down is lost, which is what `onDown`/`onUp` are for (e.g. drop local copies on
 * `onUp`). The drivers re-subscribe by themselves after a reconnect; this adds the one-report-per-change
 * state on top, so a failed first subscribe and a later drop do not report "down" twice.
 */
export function openRedisChannel<M extends object>(options: RedisChannelOptions<M>): RedisChannel<M> {
  const { driver, name } = options;
  const roundTrip = options.roundTrip ?? directRoundTrip;
  const instanceId = randomUUID();
  let down = false;
  let closed = false;
  const markDown = (why: string) => {
    if (down || closed) return;
    down = true;
    options.onDown?.(why);
  };
  const markUp = () => {
    if (!down || closed) return;
    down = false;
    options.onUp?.();
  };
  const subscribed = driver
    .subscribe(name, {
      onMessage(raw) {
        if (closed) return;
        const m = decodeEnvelope(raw, instanceId, options.decode);
        if (m !== undefined) options.onMessage(m);
      },
      onDown: () => markDown('subscription lost'),
      onUp: markUp,
    })
    .catch((err: unknown) => markDown(String(err)));

  return {
    name,
    instanceId,
    ready: () => subscribed,
    publish: (message) =>
      roundTrip(() => driver.publish(name, JSON.stringify({ i: instanceId, ...message }))),
    close() {
      closed = true;
    },
  };
}

/** The payload of a peer's message; `undefined` for own echoes, non-JSON and foreign shapes. */
function decodeEnvelope<M>(
  raw: string,
  self: string,
  decode: (o: Record<string, unknown>) => M | undefined,
): M | undefined {
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  const m = o as Record<string, unknown>;
  if (typeof m.i !== 'string' || m.i === self) return undefined;
  return decode(m);
}
