/**
 * The L2 wire format: a versioned JSON envelope. Parsing is plain JSON.parse plus shape checks, so a
 * corrupted or foreign value can only ever be a miss — nothing in it is executed or revived.
 */

/** Marker and format version; bump `ENVELOPE_VERSION` when the shape changes (old entries become misses). */
export const ENVELOPE_MARK = '@conduit';
export const ENVELOPE_VERSION = 1;

/** A decoded entry, shared by both tiers. */
export interface StoredEntry {
  /** The value; `undefined` when `negative`. */
  value: unknown;
  /** True for a cached "not found". */
  negative: boolean;
  /** Written at (epoch ms, writer's clock; informational). */
  created: number;
  /** Fresh until (epoch ms). */
  softExpiresAt: number;
  /** Gone after (epoch ms): soft + the longest stale window. */
  hardExpiresAt: number;
  /** Tag name -> version counter seen when written. */
  tags: Record<string, number> | undefined;
  /** Serialized length, when known (read from L2). */
  size?: number;
}

export function encodeEnvelope(e: StoredEntry): string {
  // Key order is fixed so identical entries serialize identically (helps when eyeballing Redis).
  const env: Record<string, unknown> = {
    [ENVELOPE_MARK]: ENVELOPE_VERSION,
    c: e.created,
    s: e.softExpiresAt,
    h: e.hardExpiresAt,
  };
  if (e.negative) env.n = 1;
  else env.v = e.value;
  if (e.tags) env.t = e.tags;
  return JSON.stringify(env);
}

export type DecodeResult = { ok: true; entry: StoredEntry } | { ok: false; reason: string };

export function decodeEnvelope(raw: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'not an envelope object' };
  }
  const o = parsed as Record<string, unknown>;
  if (o[ENVELOPE_MARK] !== ENVELOPE_VERSION) {
    return { ok: false, reason: `foreign or unsupported envelope version (${String(o[ENVELOPE_MARK])})` };
  }
  if (!isTime(o.c) || !isTime(o.s) || !isTime(o.h) || o.h < o.s) {
    return { ok: false, reason: 'bad timestamps' };
  }
  const negative = o.n === 1;
  if (!negative && !('v' in o)) return { ok: false, reason: 'no value' };
  let tags: Record<string, number> | undefined;
  if (o.t !== undefined) {
    if (typeof o.t !== 'object' || o.t === null || Array.isArray(o.t))
      return { ok: false, reason: 'bad tags' };
    for (const v of Object.values(o.t))
      if (!Number.isSafeInteger(v)) return { ok: false, reason: 'bad tags' };
    tags = o.t as Record<string, number>;
  }
  return {
    ok: true,
    entry: {
      value: negative ? undefined : o.v,
      negative,
      created: o.c,
      softExpiresAt: o.s,
      hardExpiresAt: o.h,
      tags,
    },
  };
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
