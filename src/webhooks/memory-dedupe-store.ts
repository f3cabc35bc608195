import { type Clock, ConfigError, systemClock } from '../core/index.js';
import type { ClaimResult, DedupeStore } from './dedupe-store.js';

/** Options of the in-process de-duplication store. */
export interface MemoryDedupeStoreOptions {
  /** Most ids kept; past it the oldest completed ids are forgotten first. Default 100 000. */
  maxEntries?: number;
  clock?: Clock;
}

interface Entry {
  /** The claiming delivery's token, or undefined once done. */
  token: string | undefined;
  expiresAt: number;
}

/**
 * De-duplication for one process: a Map with lazy TTL expiry (no timers) and a size bound. In-flight
 * ids are never evicted for room (that would let a second delivery run the handler concurrently).
 */
export class MemoryDedupeStore implements DedupeStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly clock: Clock;

  constructor(options: MemoryDedupeStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new ConfigError(
        `memory dedupe store: maxEntries must be a positive integer, got ${options.maxEntries}`,
      );
    }
    this.clock = options.clock ?? systemClock;
  }

  /** Number of ids held (expired ones may still count until touched or evicted). */
  get size(): number {
    return this.entries.size;
  }

  async claim(key: string, token: string, inFlightTtlMs: number): Promise<ClaimResult> {
    const now = this.clock.now();
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > now) return entry.token === undefined ? 'done' : 'in_flight';
    if (entry) this.entries.delete(key);
    this.makeRoom(now);
    this.entries.set(key, { token, expiresAt: now + inFlightTtlMs });
    return 'claimed';
  }

  async complete(key: string, token: string, ttlMs: number): Promise<void> {
    const now = this.clock.now();
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > now && entry.token !== undefined && entry.token !== token) return;
    // Re-insert so completed ids age in completion order.
    this.entries.delete(key);
    if (!entry) this.makeRoom(now);
    this.entries.set(key, { token: undefined, expiresAt: now + ttlMs });
  }

  async extend(key: string, token: string, inFlightTtlMs: number): Promise<boolean> {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.token !== token) return false;
    entry.expiresAt = this.clock.now() + inFlightTtlMs;
    return true;
  }

  async release(key: string, token: string): Promise<void> {
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private makeRoom(now: number): void {
    if (this.entries.size < this.maxEntries) return;
    // Oldest first (Map keeps insertion order): drop expired and completed entries until there is room.
    for (const [key, entry] of this.entries) {
      if (this.entries.size < this.maxEntries) return;
      if (entry.expiresAt <= now || entry.token === undefined) this.entries.delete(key);
    }
    // Only in-flight ids left: go over the bound rather than allow a concurrent second run.
  }
}
