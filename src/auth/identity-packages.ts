import type * as Jose from 'jose';
import type * as OAuth from 'oauth4webapi';
import { optionalModule } from '../core/index.js';

// Optional peer dependencies: only a gateway that checks access tokens installs them.
const FEATURE = 'Access token checks (server.http.auth, createResourceServer)';
const joseModule = optionalModule<typeof Jose>('jose');
const oauthModule = optionalModule<typeof OAuth>('oauth4webapi');

/** `jose` (JWT signatures, JWKS); a MissingDependencyError naming it when it is not installed. */
export const jose = (): typeof Jose => joseModule(FEATURE);
/** `oauth4webapi` (discovery, introspection); a MissingDependencyError naming it when absent. */
export const oauth4webapi = (): typeof OAuth => oauthModule(FEATURE);
