import {
  CLIENT_CAPABILITIES_META_KEY,
  type CallToolResult,
  inputRequired,
  inputResponse,
  PROTOCOL_VERSION_META_KEY,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { CONFIRM_ARGUMENT_SCHEMA } from '../../config/index.js';
import { ConfirmStates } from './confirm-state.js';
import type { ConduitErrorCode } from '../../core/index.js';
import { ERROR_META_KEY } from './error-result.js';

/** The argument older clients confirm with, and the input request's key on 2026-07-28. */
export const CONFIRM_ARGUMENT = 'confirm';
const MODERN = '2026-07-28';

/** The `confirm` argument a tool with `confirm: true` publishes (shared with compact mode's catalog). */
export const CONFIRM_SCHEMA = CONFIRM_ARGUMENT_SCHEMA;

const REQUESTED_SCHEMA = {
  type: 'object' as const,
  properties: {
    [CONFIRM_ARGUMENT]: { type: 'boolean' as const, title: 'Confirm', description: 'Run the call' },
  },
  required: [CONFIRM_ARGUMENT],
};

const STATES = new ConfirmStates();

/** Who asks and when: the confirmation is bound to this caller, and expires. */
export interface ConfirmContext {
  /** The caller's principal id. */
  caller: string;
  nowMs: number;
  /** Signs the question's state (default: this process's key; `server.stateKey` shares one). */
  states?: ConfirmStates | undefined;
}

/**
 * What the confirmation step decided: go on (with the arguments to send) or answer this first. A
 * refusal carries its code (the call's outcome); a question asked of the user has none (its answer
 * comes back as a new call).
 */
export type ConfirmOutcome =
  | { proceed: true; args: Record<string, unknown> }
  | { proceed: false; result: CallToolResult; refused?: ConduitErrorCode };

function refused(text: string, reason: 'required' | 'declined'): ConfirmOutcome {
  const code: ConduitErrorCode = reason === 'required' ? 'CONFIRMATION_REQUIRED' : 'CONFIRMATION_DECLINED';
  return {
    proceed: false,
    refused: code,
    result: {
      content: [{ type: 'text', text }],
      isError: true,
      _meta: { 'conduit/confirmation': reason, [ERROR_META_KEY]: { code } },
    },
  };
}

/** A 2026-07-28 request whose client can answer a form elicitation. */
function canAsk(ctx: ServerContext): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const version = envelope?.[PROTOCOL_VERSION_META_KEY];
  if (typeof version !== 'string' || version < MODERN) return false;
  const caps = envelope?.[CLIENT_CAPABILITIES_META_KEY] as { elicitation?: unknown } | undefined;
  return caps?.elicitation !== undefined && caps.elicitation !== null;
}

/**
 * The confirmation step of a tool with `confirm: true`, before anything is sent upstream. On a
 * 2026-07-28 request whose client declares elicitation, the tool answers input-required (a form
 * asking to confirm) and runs when the retried request carries an accepting response; the model
 * cannot confirm for the user there (its `confirm` argument is ignored), and an answer counts only
 * with the signed `requestState` of the question it answers (same tool, caller and arguments; see
 * {@link ConfirmStates}): one without it is asked again. Elsewhere (2025-era
 * clients, clients without forms) the call needs the `confirm: true` argument, and a call without
 * it is a tool error naming that argument.
 */
export function confirmCall(
  toolName: string,
  label: string,
  args: Record<string, unknown>,
  ctx: ServerContext,
  asker: ConfirmContext,
): ConfirmOutcome {
  const { [CONFIRM_ARGUMENT]: given, ...rest } = args;
  if (canAsk(ctx)) {
    const view = inputResponse(ctx.mcpReq.inputResponses, CONFIRM_ARGUMENT);
    const accepted =
      view.kind === 'elicit' && view.action === 'accept' && view.content?.[CONFIRM_ARGUMENT] === true;
    // Not asked yet, or an acceptance of a question this gateway did not ask about this call: ask.
    if (
      view.kind === 'missing' ||
      (accepted &&
        !(asker.states ?? STATES).valid(ctx.mcpReq.requestState(), toolName, asker.caller, rest, asker.nowMs))
    )
      return {
        proceed: false,
        result: inputRequired({
          inputRequests: {
            [CONFIRM_ARGUMENT]: inputRequired.elicit({
              message: `Allow ${label}? It changes data upstream.`,
              requestedSchema: REQUESTED_SCHEMA,
            }),
          },
          requestState: (asker.states ?? STATES).mint(toolName, asker.caller, rest, asker.nowMs),
        }) as unknown as CallToolResult,
      };
    if (accepted) return { proceed: true, args: rest };
    return refused(
      `${toolName} was not confirmed by the user (${view.kind === 'elicit' ? view.action : 'no answer'}); nothing was sent upstream.`,
      'declined',
    );
  }
  if (given === true) return { proceed: true, args: rest };
  return refused(
    `${toolName} changes data upstream and needs confirmation: call it again with the argument ${CONFIRM_ARGUMENT}: true once the user agreed. Nothing was sent upstream.`,
    'required',
  );
}
