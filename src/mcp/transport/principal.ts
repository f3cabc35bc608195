/**
 * Who sent a request, as far as the transport can tell. Compared by `id` only: an opaque, stable
 * string naming the credential (`bearer:<n>` for the n-th of `server.http.authTokens`; an OAuth
 * issuer and subject can take the same place), never the credential itself, so it is safe to hold.
 */
export interface Principal {
  readonly id: string;
}

/** Requests on a server without client auth: all of them are the same principal. */
export const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous' });

/** The principal of the `index`-th configured bearer token. */
export function bearerPrincipal(index: number): Principal {
  return { id: `bearer:${index}` };
}

export function samePrincipal(a: Principal, b: Principal): boolean {
  return a.id === b.id;
}
