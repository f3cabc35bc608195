import type { Cluster, Redis } from 'ioredis';
import type { BreakerRedisClient, BreakerRedisSubscriber } from '../resilience/index.js';
import { createClusterClient, createIoredisClient } from './clients.js';
import type { RedisTarget } from './target.js';

/**
 * Two connections to one Redis for state shared through keys and channels (the shared breakers): a
 * commands connection with no offline queue (a write while Redis is down fails at once instead of
 * piling up), and one subscriber whose messages are routed to every listener, so any number of users
 * share the two connections.
 */
export interface RedisPubSubPair {
  /** GET / SET / PUBLISH. */
  readonly commands: BreakerRedisClient;
  /** SUBSCRIBE and `message` listeners, all on the one subscriber connection. */
  readonly subscriber: BreakerRedisSubscriber;
  /** Both connections are ready now. */
  isUp(): boolean;
  /**
   * True once both are ready; false at the first connection error or end, or after `waitMs` (a host
   * that never answers). Never rejects.
   */
  whenUp(waitMs: number): Promise<boolean>;
  /** Called each time both connections are ready again after one of them came back. */
  onUp(listener: () => void): void;
  /** Closes both connections. */
  close(): void;
}

type Client = Redis | Cluster;

/** Opens a {@link RedisPubSubPair} on ioredis (a server or a Cluster); `feature` names it in errors. */
export function openRedisPubSubPair(target: RedisTarget, feature: string): RedisPubSubPair {
  const options = { enableOfflineQueue: false };
  const commands: Client =
    'cluster' in target
      ? createClusterClient<Cluster>(target.cluster, options, feature)
      : createIoredisClient<Redis>({ url: target.url, options }, feature);
  const sub: Client = commands.duplicate();
  sub.on('error', () => {}); // failures surface through the commands and the users' own logs

  const routes = new Set<(channel: string, message: string) => void>();
  sub.on('message', (channel: string, message: string) => {
    for (const l of routes) l(channel, message);
  });
  const subscriber: BreakerRedisSubscriber = {
    subscribe: (channel) => sub.subscribe(channel),
    on: (_event, listener) => routes.add(listener),
    removeListener: (_event, listener) => routes.delete(listener),
  };
  const ready = (c: Client) => c.status === 'ready';
  const isUp = () => ready(commands) && ready(sub);

  return {
    commands,
    subscriber,
    isUp,
    whenUp: (waitMs) =>
      Promise.all([whenReady(commands, waitMs), whenReady(sub, waitMs)]).then(([a, b]) => a && b),
    onUp(listener) {
      // Either connection may come back last, so both trigger the check.
      const check = () => {
        if (isUp()) listener();
      };
      commands.on('ready', check);
      sub.on('ready', check);
    },
    close() {
      sub.disconnect();
      commands.disconnect();
    },
  };
}

function whenReady(c: Client, waitMs: number): Promise<boolean> {
  if (c.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = () => finish(true);
    const onFail = () => finish(false);
    const timer = setTimeout(onFail, waitMs);
    timer.unref();
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      c.off('ready', onReady);
      c.off('error', onFail);
      c.off('end', onFail);
      resolve(ok);
    };
    c.once('ready', onReady);
    c.once('error', onFail);
    c.once('end', onFail);
  });
}
