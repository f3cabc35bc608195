/**
 * What a failure below HTTP means, in words, with what to check: the text of a `NetworkError` after
 * its method and URL. The cause's code is named once: Node's own message repeats it (`connect
 * ECONNREFUSED 127.0.0.1:9`), and the URL already names the host and port, so for the common causes
 * the message is left out.
 */
export function networkFailureText(code: string | undefined, detail: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'the connection was refused (ECONNREFUSED). Check that the upstream is running and that its base URL has the right host and port.';
    case 'ENOTFOUND':
      return 'its host name does not resolve (ENOTFOUND). Check the host in the base URL.';
    case 'EAI_AGAIN':
      return 'its host name could not be resolved for now (EAI_AGAIN: DNS did not answer). Retry later; if it persists, check the DNS the gateway uses.';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route reaches its host (${code}). Check the network between the gateway and the upstream.`;
  }
  const what = code !== undefined && !detail.includes(code) ? `${code}: ${detail}` : detail;
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED')
    return `the connection closed before a complete response (${what}). The upstream or a proxy in between dropped it; retry later.`;
  if (code !== undefined && isTlsCode(code))
    return `the TLS handshake failed (${what}). Check the upstream's certificate, or give the CA that signed it (the upstream's tls.ca or tls.caFile).`;
  return `failed before a complete response (${what}). Check that the upstream is reachable.`;
}

/** Codes of TLS failures: OpenSSL's certificate checks and Node's TLS layer. */
function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('CERT_') ||
    code.includes('_CERT') ||
    code.startsWith('UNABLE_TO_') ||
    code.startsWith('SELF_SIGNED') ||
    code.startsWith('DEPTH_ZERO')
  );
}
