import { type HttpResponse, HttpStatusError } from '../../http/index.js';

/** Whether an upstream status is a redirect (3xx), which the HTTP client returns without following. */
export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/**
 * Where a redirect points, as origin + path: its query and fragment are dropped (they can carry the
 * credentials the gateway sent, echoed back), and URL parsing drops any user:password.
 */
function safeLocation(location: string | string[] | undefined, base: string): string | undefined {
  const raw = Array.isArray(location) ? location[0] : location;
  if (!raw) return undefined;
  try {
    const url = new URL(raw, base);
    return `${url.origin}${url.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * A redirect answer as a failure. The HTTP client never follows redirects (a request cannot leave the
 * upstream's origin with its credentials), so a 3xx is not the data the tool asked for: reporting it
 * as a success would hand the model an empty answer, and a cacheable tool would cache that answer.
 * It keeps the `HTTP_STATUS` code (with `status` 3xx) so metrics and error mapping treat it like any
 * other non-success status; the excerpt names the target instead of quoting the body.
 */
export function redirectError(res: HttpResponse): HttpStatusError {
  const target = safeLocation(res.headers.location, res.url);
  return new HttpStatusError({
    status: res.status,
    method: res.method,
    url: res.url,
    bodyExcerpt: target ? `a redirect to ${target}` : 'a redirect without a usable Location',
  });
}
