import { CacheValueError } from '../errors.js';
import { PeerSync } from '../peers/peer-sync.js';
import { encodeEnvelope, type StoredEntry } from '../tiers/envelope.js';
import { L1, L1Entry } from '../tiers/l1.js';
import type { L2 } from '../tiers/l2.js';
import { COUNTER_MARGIN_MS, TagVersions } from '../tiers/tags.js';
import type { CacheSettings } from './options.js';
import { ReadGuard } from './read-guard.js';
import { errorCode, type Signals } from './signals.js';
import type { SetOptions } from './types.js';

/**
 * The two tiers and what every operation shares: reading L2 (with its tag check), back-filling L1,
 * and writing an entry to both tiers.
 */
export class CacheStack {
  readonly l1: L1;
  readonly tags: TagVersions;
  readonly guard = new ReadGuard();
  readonly sync: PeerSync;
  closed = false;

  constructor(
    readonly settings: CacheSettings,
    readonly l2: L2 | undefined,
    readonly signals: Signals,
  ) {
    this.l1 = new L1(settings.l1);
    this.tags = new TagVersions(
      l2,
      settings.tagVersionTtlMs,
      // A counter created by an invalidation lives as long as a default entry; tagged writes extend it.
      settings.ttlMs + Math.max(settings.swrMs, settings.sieMs) + COUNTER_MARGIN_MS,
      settings.maxTagVersions,
    );
    this.sync = new PeerSync(
      settings.bus ? l2 : undefined,
      this.l1,
      this.tags,
      this.guard,
      signals,
      settings.clock,
    );
  }

  /** An L2 entry that is neither hard-expired nor invalidated by its tags; L2 failures are misses. */
  async readL2(key: string, now: number): Promise<StoredEntry | undefined> {
    if (!this.l2) return undefined;
    let r: StoredEntry | undefined;
    try {
      r = await this.l2.get(key);
    } catch (err) {
      this.signals.l2Error('get', err);
      return undefined;
    }
    if (!r || now >= r.hardExpiresAt) return undefined;
    if (r.tags && !(await this.tags.validate(r.tags, now))) return undefined;
    return r;
  }

  /** Copies an entry into L1; undefined when its L1 lifetime is already over or it cannot be sized. */
  backfill(
    key: string,
    e: StoredEntry,
    now: number,
    l1TtlMs = this.settings.l1TtlMs,
    size?: number,
  ): L1Entry | undefined {
    // An L1 copy never outlives the L2 entry: its end is min(L1 TTL, L2 hard expiry).
    const l1Exp = l1TtlMs === undefined ? e.hardExpiresAt : Math.min(now + l1TtlMs, e.hardExpiresAt);
    if (l1Exp <= now) return undefined;
    const entry = new L1Entry(
      e.value,
      e.negative,
      e.created,
      e.softExpiresAt,
      e.hardExpiresAt,
      e.tags,
      l1Exp,
    );
    let bytes = size ?? e.size;
    if (bytes === undefined) {
      try {
        bytes = Buffer.byteLength(JSON.stringify(e.value) ?? '');
      } catch {
        return undefined;
      }
    }
    this.l1.set(key, entry, bytes);
    return entry;
  }

  /** Writes an entry to both tiers and tells peers to drop their L1 copy. */
  async write(
    key: string,
    value: unknown,
    negative: boolean,
    options: SetOptions | undefined,
  ): Promise<void> {
    const s = this.settings;
    const now = s.clock.now();
    let ttl = options?.ttlMs ?? s.ttlMs;
    if (!(ttl > 0)) throw new CacheValueError(`ttlMs must be > 0; got ${ttl}`);
    if (s.jitter > 0) ttl = Math.max(1, Math.round(ttl * (1 - Math.random() * s.jitter)));
    const extra = Math.max(options?.staleWhileRevalidateMs ?? s.swrMs, options?.staleIfErrorMs ?? s.sieMs);
    const tagNames = options?.tags;
    const tags =
      tagNames && tagNames.length > 0 ? await this.tags.current(tagNames, now, ttl + extra) : undefined;
    const entry: StoredEntry = {
      value,
      negative,
      created: now,
      softExpiresAt: now + ttl,
      hardExpiresAt: now + ttl + extra,
      tags,
    };
    let payload: string;
    try {
      payload = encodeEnvelope(entry);
    } catch (err) {
      throw new CacheValueError(
        `The value for key "${key}" is not JSON-serializable (${errorCode(err)}); cache plain data only`,
        { cause: err },
      );
    }
    this.signals.counters.sets++;
    this.guard.dirty(key); // a read of the old value still in flight must not overwrite this one
    this.backfill(key, entry, now, options?.l1TtlMs, Buffer.byteLength(payload));
    const l2 = this.l2;
    if (l2) await this.signals.l2Call('set', () => l2.set(key, payload, entry.hardExpiresAt - now));
    await this.sync.publish({ t: 'set', k: key });
    this.signals.emitter.emit('set', { key });
  }
}
