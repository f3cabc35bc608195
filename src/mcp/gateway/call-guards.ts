import type { CallToolResult, ServerContext } from '@modelcontextprotocol/server';
import { Policy, PolicyDeniedError } from '../../auth/index.js';
import type { Principal } from '../../core/index.js';
import type { GatewayConfig } from '../../config/index.js';
import type { CompiledTool } from '../tools/configured-tool.js';
import { errorResult } from '../tools/error-result.js';
import { principalOf } from '../transport/auth-info.js';
import type { ToolExecute } from './call-tracker.js';
import { operatorPrincipal } from './operator-principal.js';

/**
 * What stands between a caller and a tool: who the caller is (the operator on stdio), and whether the
 * policy lets them. Built once per config; `check` is the whole per-call cost (a memoized decision).
 */
export interface CallGuards {
  readonly operator: Principal;
  readonly policy: Policy | undefined;
  /** The caller of this request. */
  principal(ctx: ServerContext | undefined): Principal;
  /** The refusal for this caller and tool, or undefined when allowed. */
  check(ctx: ServerContext | undefined, toolName: string): PolicyDeniedError | undefined;
}

export function callGuardsFor(config: GatewayConfig): CallGuards {
  const operator = operatorPrincipal(config.server?.operator);
  const policy = config.policy ? new Policy(config.policy) : undefined;
  const principal = (ctx: ServerContext | undefined) => principalOf(ctx, operator);
  return {
    operator,
    policy,
    principal,
    check(ctx, toolName) {
      if (!policy) return undefined;
      const who = principal(ctx);
      const d = policy.tool(who, toolName);
      return d.allowed ? undefined : new PolicyDeniedError('tool', toolName, who, d.neededScopes);
    },
  };
}

/** A compiled tool's execute behind the guards: a refused call never reaches the tool. */
export function guardedExecute(tool: CompiledTool, guards: CallGuards): ToolExecute {
  const execute = tool.execute.bind(tool);
  if (!guards.policy) return execute;
  return (args, ctx, signal): Promise<CallToolResult> => {
    const refused = guards.check(ctx, tool.name);
    if (refused) return Promise.resolve(errorResult(refused, '', tool.name));
    return execute(args, ctx, signal);
  };
}
