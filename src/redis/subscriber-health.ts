import type { SubscriptionHandlers } from './driver.js';

/**
 * Reports a node-redis subscriber connection to `h` once per change: down on 'end' or 'reconnecting',
 * up on the 'ready' that follows (node-redis re-subscribes before it emits 'ready', so no message is
 * missed from then on). Returns the down report, for failures the caller sees itself.
 */
export function reportSubscriberHealth(
  s: { on(event: string, listener: (...args: unknown[]) => void): unknown },
  h: Pick<SubscriptionHandlers, 'onDown' | 'onUp'>,
): () => void {
  let down = false;
  const markDown = () => {
    if (!down) {
      down = true;
      h.onDown();
    }
  };
  s.on('end', markDown);
  s.on('reconnecting', markDown);
  s.on('ready', () => {
    if (down) {
      down = false;
      h.onUp();
    }
  });
  return markDown;
}
