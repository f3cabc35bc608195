/**
 * What to do when the listener cannot bind, in the command's terms: its port is taken, or its
 * address is none of this machine's (empty for other failures). Over stdio the listener is
 * `server.listener`, which no option overrides.
 */
export function listenHint(err: unknown, transport: 'stdio' | 'http'): string {
  const { code, port, address } = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    port?: unknown;
    address?: unknown;
  };
  if (code === 'EADDRINUSE') {
    const which = typeof port === 'number' ? `port ${port}` : 'the port';
    return transport === 'http'
      ? `; ${which} is taken by another process: stop it, or pass --port with a free port (0 picks one)`
      : `; ${which} is taken by another process: stop it, or change server.listener.port`;
  }
  if (code === 'EADDRNOTAVAIL') {
    const which = typeof address === 'string' ? address : 'the address';
    const choices = '127.0.0.1 (loopback), an address this machine has, or 0.0.0.0 (every interface)';
    return transport === 'http'
      ? `; ${which} is not an address of this machine: pass --host ${choices}`
      : `; ${which} is not an address of this machine: set server.listener.host to ${choices}`;
  }
  return '';
}
