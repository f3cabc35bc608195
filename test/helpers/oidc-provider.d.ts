// oidc-provider ships no types: the little of its API the test authorization server uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ProviderClient {
    clientId: string;
  }
  export interface ResourceServerInfo {
    scope: string;
    audience: string;
    accessTokenTTL: number;
    accessTokenFormat: 'jwt' | 'opaque';
    jwt?: { sign?: { alg: string } };
  }
  export interface ProviderConfiguration {
    clients: Record<string, unknown>[];
    jwks: { keys: unknown[] };
    scopes: string[];
    ttl?: Record<string, number>;
    features: {
      devInteractions?: { enabled: boolean };
      clientCredentials?: { enabled: boolean };
      introspection?: { enabled: boolean; allowedPolicy?: (...args: unknown[]) => Promise<boolean> };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (ctx: unknown) => string;
        useGrantedResource?: () => boolean;
        getResourceServerInfo?: (
          ctx: unknown,
          resourceIndicator: string,
          client: ProviderClient,
        ) => ResourceServerInfo;
      };
    };
    extraTokenClaims?: (ctx: unknown, token: unknown) => Record<string, unknown>;
  }
  export interface GrantContext {
    oidc: { params: Record<string, string | undefined>; client: ProviderClient };
    body: unknown;
    status: number;
  }
  export class Provider {
    constructor(issuer: string, configuration: ProviderConfiguration);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    /** A custom grant (e.g. RFC 8693 token exchange): `handler` runs after client authentication. */
    registerGrantType(
      grantType: string,
      handler: (ctx: GrantContext) => Promise<void>,
      parameters?: string[],
    ): void;
  }
  export default Provider;
}
