import { type Logger, noopLogger, errorForLog, errorMessage } from '../../core/index.js';
import { openRedisChannel, openRedisDriver, type RedisDriver } from '../../redis/index.js';
import { type ChangeFeed, ChangeLog, type ResourceChange } from './change-feed.js';

/** Options of {@link createRedisChangeFeed}. */
export interface RedisChangeFeedOptions {
  /** Redis URL (ignored when `driver` or `cluster` is given). Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Or Redis Cluster seed URLs. */
  cluster?: readonly string[];
  /** A ready driver (tests); closed by `close()`. */
  driver?: RedisDriver;
  /** Key prefix shared with the cache; the channel is `<prefix>:changes`. Default `conduit`. */
  prefix?: string;
  /** How many recent changes `since` can return. Default 1000. */
  capacity?: number;
  logger?: Logger;
}

/** A change feed that also carries changes between gateway instances; `ready()` resolves once subscribed. */
export interface RedisChangeFeed extends ChangeFeed {
  /** Resolves once the channel is subscribed, or once the first attempt failed (never rejects). */
  ready(): Promise<void>;
  readonly channel: string;
  /** The subscription is up: changes published by other instances reach this one. */
  connected(): boolean;
}

/** Shape check of a change on the wire (`{"i": sender, "c": change}`). */
function decodeChange(o: Record<string, unknown>): { c: ResourceChange } | undefined {
  const c = o.c;
  if (typeof c !== 'object' || c === null) return undefined;
  const ch = c as Record<string, unknown>;
  if (typeof ch.uri !== 'string' || typeof ch.source !== 'string' || typeof ch.at !== 'number')
    return undefined;
  if (ch.event !== undefined && typeof ch.event !== 'string') return undefined;
  const change: ResourceChange = { uri: ch.uri, source: ch.source, at: ch.at };
  if (typeof ch.event === 'string') change.event = ch.event;
  // Another instance's span: kept only in its W3C shape (the traces module parses it again).
  if (typeof ch.traceparent === 'string' && ch.traceparent.length <= 64) change.traceparent = ch.traceparent;
  return { c: change };
}

/**
 * A {@link ChangeFeed} over Redis pub/sub. Every change is recorded and delivered locally first, then
 * published with this instance's id; other instances record and deliver it, this one skips its own
 * echo. With Redis down, local delivery goes on; the state change is logged once each way.
 */
export function createRedisChangeFeed(options: RedisChangeFeedOptions): RedisChangeFeed {
  const logger = options.logger ?? noopLogger;
  const channel = `${options.prefix ?? 'conduit'}:changes`;
  const log = new ChangeLog(options.capacity ?? 1000, (err) =>
    logger.warn({ err: errorForLog(err) }, 'a resource change listener threw'),
  );
  // Local delivery never waits on Redis (it happens before the publish); the drivers' clients fail a
  // command fast while disconnected, so a publish with Redis down does not pile up.
  const driver = openRedisDriver(
    options.driver || options.cluster?.length ? options : { url: options.url ?? 'redis://127.0.0.1:6379' },
  );
  // What the log lines say: the subscription's state, and whether the last publish reached Redis.
  let up = true;
  let subscribed = true;
  let closed = false;
  const setUp = (now: boolean, why: string) => {
    if (now === up || closed) return;
    up = now;
    if (now) logger.info({ channel }, 'resource change bus connected: changes reach other instances again');
    else
      logger.warn(
        { channel, why },
        'resource change bus down: changes reach this instance only until Redis is back',
      );
  };
  const bus = openRedisChannel({
    driver,
    name: channel,
    decode: decodeChange,
    onMessage: (m) => log.record(m.c),
    onDown: (why) => {
      subscribed = false;
      setUp(false, why);
    },
    onUp: () => {
      subscribed = true;
      setUp(true, 'subscribed');
    },
  });

  return {
    channel,
    ready: () => bus.ready(),
    connected: () => subscribed && !closed,
    async publish(change) {
      if (closed) return;
      log.record(change);
      try {
        await bus.publish({ c: change });
        setUp(true, 'published');
      } catch (err) {
        setUp(false, errorMessage(err));
      }
    },
    subscribe: (listener) => log.subscribe(listener),
    since: (cursor, limit) => log.since(cursor, limit),
    async close() {
      if (closed) return;
      closed = true;
      bus.close();
      log.clear();
      await driver.close();
    },
  };
}
