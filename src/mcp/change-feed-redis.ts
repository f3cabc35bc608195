import { randomUUID } from 'node:crypto';
import { createIoredisDriver, type RedisDriver } from '../cache/index.js';
import { type Logger, noopLogger } from '../core/index.js';
import { type ChangeFeed, ChangeLog, type ResourceChange } from './change-feed.js';

/** Options of {@link createRedisChangeFeed}. */
export interface RedisChangeFeedOptions {
  /** Redis URL (ignored when `driver` is given). */
  url?: string;
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
}

type Wire = { i: string; c: ResourceChange };

function decode(raw: string): Wire | undefined {
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const { i, c } = o as { i?: unknown; c?: unknown };
  if (typeof i !== 'string' || typeof c !== 'object' || c === null) return undefined;
  const ch = c as Record<string, unknown>;
  if (typeof ch.uri !== 'string' || typeof ch.source !== 'string' || typeof ch.at !== 'number')
    return undefined;
  if (ch.event !== undefined && typeof ch.event !== 'string') return undefined;
  const change: ResourceChange = { uri: ch.uri, source: ch.source, at: ch.at };
  if (typeof ch.event === 'string') change.event = ch.event;
  return { i, c: change };
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
    logger.warn({ err: String(err) }, 'a resource change listener threw'),
  );
  // Local delivery never waits on Redis (it happens before the publish); the driver's client gives up
  // on a command after one reconnect attempt, so a publish with Redis down fails fast.
  const driver = options.driver ?? createIoredisDriver({ url: options.url ?? 'redis://127.0.0.1:6379' });
  const id = randomUUID();
  let up = true;
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
  const subscribed = driver
    .subscribe(channel, {
      onMessage(raw) {
        if (closed) return;
        const m = decode(raw);
        if (m && m.i !== id) log.record(m.c);
      },
      onDown: () => setUp(false, 'subscription lost'),
      onUp: () => setUp(true, 'subscribed'),
    })
    .catch((err: unknown) => setUp(false, String(err)));

  return {
    channel,
    ready: () => subscribed,
    async publish(change) {
      if (closed) return;
      log.record(change);
      try {
        await driver.publish(channel, JSON.stringify({ i: id, c: change } satisfies Wire));
        setUp(true, 'published');
      } catch (err) {
        setUp(false, err instanceof Error ? err.message : String(err));
      }
    },
    subscribe: (listener) => log.subscribe(listener),
    since: (cursor, limit) => log.since(cursor, limit),
    async close() {
      if (closed) return;
      closed = true;
      log.clear();
      await driver.close();
    },
  };
}
