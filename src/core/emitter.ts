/**
 * A minimal typed event emitter: listeners in a Set, errors thrown by listeners are contained (given
 * to `onListenerError`, default: dropped). `has(event)` lets a hot path skip building a payload
 * nobody listens to.
 */
export class Emitter<Events extends object> {
  private readonly map = new Map<keyof Events, Set<(e: never) => void>>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  on<K extends keyof Events>(event: K, listener: (e: Events[K]) => void): () => void {
    let set = this.map.get(event);
    if (!set) {
      set = new Set();
      this.map.set(event, set);
    }
    set.add(listener as (e: never) => void);
    return () => {
      set.delete(listener as (e: never) => void);
    };
  }

  has(event: keyof Events): boolean {
    const set = this.map.get(event);
    return set !== undefined && set.size > 0;
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.map.get(event);
    if (!set) return;
    for (const l of set) {
      try {
        (l as (e: Events[K]) => void)(payload);
      } catch (err) {
        // A faulty listener must not break the call that triggered the event.
        this.onListenerError(err);
      }
    }
  }

  clear(): void {
    this.map.clear();
  }
}
