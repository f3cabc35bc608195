import {
  BUMP_COUNTER_SCRIPT,
  GET_OR_CLAIM_SCRIPT,
  type RedisDriver,
  SET_IF_UNCHANGED_SCRIPT,
  TOUCH_COUNTER_SCRIPT,
} from './driver.js';

/** EVAL of a Lua script with one KEYS entry, in one client library's call shape. */
export type EvalOnKey = (script: string, key: string, args: readonly string[]) => Promise<unknown>;

/** A TTL as Redis takes it (PX): whole milliseconds, at least 1, since PX 0 is an error. */
export const pxMs = (ms: number): number => Math.max(1, Math.ceil(ms));

// Compare-and-delete for lock release; one key, so it is Cluster safe.
const RELEASE_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** The driver commands that are Lua scripts on one key. */
export type ScriptedCommands = Pick<
  RedisDriver,
  'touchCounter' | 'bumpCounter' | 'getOrClaim' | 'setIfUnchanged' | 'deleteIfEquals' | 'evalOnKey'
>;

/**
 * The scripted commands on top of a client's EVAL: the scripts, their argument order and the reply
 * conversions are the same for every client library; only how EVAL is called differs.
 */
export function scriptedCommands(evalOnKey: EvalOnKey): ScriptedCommands {
  return {
    async touchCounter(key, initial, ttlMs) {
      return Number(await evalOnKey(TOUCH_COUNTER_SCRIPT, key, [String(initial), String(pxMs(ttlMs))]));
    },
    async bumpCounter(key, initial, ttlMs) {
      return Number(await evalOnKey(BUMP_COUNTER_SCRIPT, key, [String(initial), String(pxMs(ttlMs))]));
    },
    async getOrClaim(key, marker, ttlMs) {
      return (await evalOnKey(GET_OR_CLAIM_SCRIPT, key, [marker, String(pxMs(ttlMs))])) as string | null;
    },
    async setIfUnchanged(key, head, bytes, value, ttlMs) {
      const args = [head, String(bytes), value, String(pxMs(ttlMs))];
      return Number(await evalOnKey(SET_IF_UNCHANGED_SCRIPT, key, args)) === 1;
    },
    async deleteIfEquals(key, value) {
      await evalOnKey(RELEASE_SCRIPT, key, [value]);
    },
    evalOnKey,
  };
}
