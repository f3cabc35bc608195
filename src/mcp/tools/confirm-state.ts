import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { stableStringify } from './key-template.js';

// One key per process unless `server.stateKey` gives a shared one, like pagination cursors: a
// confirmation is only good on the gateways holding the key of the question it answers.
const PROCESS_KEY = randomBytes(32);

/** How long a user has to answer a confirmation before the call must be asked for again. */
export const CONFIRM_STATE_TTL_MS = 15 * 60_000;

/**
 * The `requestState` of a confirmation round: when it was asked, signed (HMAC-SHA256) over the tool,
 * the caller and the call's canonical arguments. An accepting answer counts only with the state of the
 * question it answers, so a client cannot confirm a call nobody was asked about (answers sent with
 * the first request), nor carry one call's confirmation over to other arguments, another tool or
 * another caller.
 */
export class ConfirmStates {
  constructor(private readonly key: Buffer = PROCESS_KEY) {}

  mint(tool: string, caller: string, args: Readonly<Record<string, unknown>>, nowMs: number): string {
    const issued = String(nowMs);
    return `${issued}.${this.sign(tool, caller, args, issued).toString('base64url')}`;
  }

  /** True when `state` was minted here for this tool, caller and arguments, and has not expired. */
  valid(
    state: unknown,
    tool: string,
    caller: string,
    args: Readonly<Record<string, unknown>>,
    nowMs: number,
  ): boolean {
    if (typeof state !== 'string') return false;
    const dot = state.indexOf('.');
    if (dot <= 0) return false;
    const issued = state.slice(0, dot);
    const at = Number(issued);
    if (!Number.isSafeInteger(at) || nowMs < at || nowMs - at > CONFIRM_STATE_TTL_MS) return false;
    const mac = Buffer.from(state.slice(dot + 1), 'base64url');
    const expected = this.sign(tool, caller, args, issued);
    return mac.length === expected.length && timingSafeEqual(mac, expected);
  }

  private sign(
    tool: string,
    caller: string,
    args: Readonly<Record<string, unknown>>,
    issued: string,
  ): Buffer {
    const call = stableStringify(args);
    // Lengths first: no field can pass for a neighbour.
    return createHmac('sha256', this.key)
      .update(`${tool.length}:${tool}\n${caller.length}:${caller}\n${issued}\n`)
      .update(call)
      .digest();
  }
}
