import { createHash } from 'node:crypto';
import type { GatewayConfig, ToolConfig } from '../../config/index.js';
import { stableJson } from './config-diff.js';

/**
 * What a tool's cached answer depends on besides its arguments: its request (upstream address,
 * headers and the identity it calls as, method, path, parameters, fixed values), its input and output schemas
 * and its answer shaping. Text only shown in `tools/list` (title, description, annotations) is left
 * out, so rewording a tool keeps its entries.
 */
function answerDefinition(tool: ToolConfig, config: GatewayConfig): unknown {
  const {
    title: _title,
    description: _description,
    annotations: _annotations,
    argumentDescriptions: _argumentDescriptions,
    ...settings
  } = tool;
  const upstream = config.upstreams[tool.upstream];
  return {
    settings,
    upstream: { baseUrl: upstream?.baseUrl, headers: upstream?.headers, auth: callsAs(upstream?.auth) },
  };
}

type UpstreamAuth = GatewayConfig['upstreams'][string]['auth'];

/**
 * The part of an upstream's auth that decides whose data it answers with (a basic-auth user, an
 * OAuth client, its scopes and audience): another identity must not be served the old one's answers.
 * When tokens are fetched or refreshed is left out: it changes no answer.
 */
function callsAs(auth: UpstreamAuth): unknown {
  if (auth === undefined || !('refreshBefore' in auth)) return auth;
  const { refreshBefore: _refreshBefore, timeout: _timeout, ...identity } = auth;
  return identity;
}

/**
 * A short digest of a tool's {@link answerDefinition}, put in its default cache key: after a reload
 * (or on an instance of a rolling deploy) that changes the tool's request, the old request's answers
 * are not served for the new one. `${ENV}` values are replaced before hashing, so rotating a secret
 * keeps the entries and the digest says nothing about any secret.
 */
export function answerVersion(tool: ToolConfig, config: GatewayConfig, secrets: readonly string[]): string {
  let text = stableJson(answerDefinition(tool, config));
  for (const secret of secrets)
    if (secret !== '') text = text.split(JSON.stringify(secret).slice(1, -1)).join('\u0000');
  return createHash('sha256').update(text).digest('base64url').slice(0, 12);
}
