import type * as Jose from 'jose';
import type * as OAuth from 'oauth4webapi';
import { optionalModule } from '../core/index.js';

// Optional peer dependencies: only a gateway with OAuth 2.0 upstream credentials installs them.
const joseModule = optionalModule<typeof Jose>('jose');
const oauthModule = optionalModule<typeof OAuth>('oauth4webapi');

/** `oauth4webapi` (token requests); a MissingDependencyError naming it and `upstream` when absent. */
export const oauth4webapi = (upstream: string): typeof OAuth =>
  oauthModule(`The OAuth 2.0 credentials of upstream ${upstream} (upstreams.${upstream}.auth)`);
/** `jose` (the `private_key_jwt` signing key); a MissingDependencyError naming it when absent. */
export const jose = (upstream: string): typeof Jose =>
  joseModule(
    `The private_key_jwt client key of upstream ${upstream} (upstreams.${upstream}.auth.privateKey)`,
  );
