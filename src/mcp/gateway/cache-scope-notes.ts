import type { GatewayConfig } from '../../config/index.js';
import { answerScopeOf } from '../tools/answer-scope.js';

/** One note `conduit validate` prints: where, what kind, and what it means. */
export interface ConfigNote {
  path: string;
  kind: string;
  message: string;
}

const readsCaller = (text: unknown): boolean => typeof text === 'string' && /\{\s*auth\./.test(text);

/**
 * What `conduit validate` says about upstream credentials and cache scopes: whose each cached tool's
 * answers are and why (private by default once a call depends on the caller), and every upstream that
 * forwards the caller's token. A cached tool whose request is the same for every caller and that
 * declares nothing gets no note.
 */
export function credentialNotes(config: GatewayConfig): ConfigNote[] {
  const notes: ConfigNote[] = [];
  for (const [name, upstream] of Object.entries(config.upstreams))
    if (upstream.auth?.type === 'forward')
      notes.push({
        path: `upstreams.${name}.auth`,
        kind: 'warning',
        message:
          "forwards the caller's own access token: acceptable only when the upstream is a resource that token was issued for (same authorization server, its audience in the token); otherwise use token-exchange",
      });
  config.tools.forEach((tool, i) => {
    if (!tool.cache) return;
    const auth = config.upstreams[tool.upstream]?.auth?.type;
    const choice = answerScopeOf({
      declared: tool.cache.scope,
      perCallerCredential: auth === 'token-exchange' || auth === 'forward' ? auth : undefined,
      readsCaller: readsCaller(tool.path) || Object.values(tool.fixed ?? {}).some((v) => readsCaller(v)),
    });
    // The plain case (no caller in the request, nothing declared) needs no explaining.
    if (choice.scope === 'shared' && tool.cache.scope === undefined) return;
    notes.push({
      path: `tools[${i}] (${tool.name}).cache`,
      kind: `cache ${choice.scope}`,
      message: choice.reason,
    });
  });
  return notes;
}
