/**
 * Cross-instance L1 invalidation messages on one Redis pub/sub channel per prefix. Each message carries
 * the sender's instance id so a sender skips its own echo. Decoding is JSON plus shape checks; anything
 * else on the channel is ignored.
 */
export type BusMessage =
  | { i: string; t: 'del'; k: string }
  | { i: string; t: 'set'; k: string }
  | { i: string; t: 'tags'; v: Record<string, number> }
  | { i: string; t: 'pattern'; p: string }
  | { i: string; t: 'clear' };

export function encodeBusMessage(m: BusMessage): string {
  return JSON.stringify(m);
}

export function decodeBusMessage(raw: string): BusMessage | undefined {
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const m = o as Record<string, unknown>;
  if (typeof m.i !== 'string') return undefined;
  switch (m.t) {
    case 'del':
    case 'set':
      return typeof m.k === 'string' ? (m as BusMessage) : undefined;
    case 'pattern':
      return typeof m.p === 'string' ? (m as BusMessage) : undefined;
    case 'clear':
      return m as BusMessage;
    case 'tags': {
      if (typeof m.v !== 'object' || m.v === null || Array.isArray(m.v)) return undefined;
      for (const v of Object.values(m.v)) if (!Number.isSafeInteger(v)) return undefined;
      return m as BusMessage;
    }
    default:
      return undefined;
  }
}
