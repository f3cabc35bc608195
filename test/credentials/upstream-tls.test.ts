import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSecrets } from '../../src/config/secrets.js';
import { createRecordingLogger } from '../../src/core/index.js';
import { createGateway, type Gateway } from '../../src/mcp/index.js';
import { type TestConfigInput, testConfig } from '../helpers/gateway-config.js';

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made by openssl now. */
function makeCertificates(dir: string) {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) => {
    run(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
    );
  };
  const leaf = (name: string, issuer: string, ext: string) => {
    run(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    writeFileSync(join(dir, `${name}.ext`), ext);
    run(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${issuer}.crt`,
      '-CAkey',
      `${issuer}.key`,
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  };
  ca('test-ca');
  ca('other-ca');
  leaf('server', 'test-ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'test-ca', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    ca: read('test-ca.crt'),
    otherCa: read('other-ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    clientKeyFile: join(dir, 'client.key'),
    clientCertFile: join(dir, 'client.crt'),
  };
}

type Result = Awaited<ReturnType<Client['callTool']>>;
const codeOf = (r: Result) =>
  (r._meta as Record<string, { code?: string }> | undefined)?.['conduit/error']?.code;

describe('upstream TLS: custom CA and client certificates (mTLS)', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let server: Server;
  let url: string;
  const clients: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-tls-'));
    certs = makeCertificates(dir);
    server = createServer(
      {
        key: certs.serverKey,
        cert: certs.serverCert,
        ca: certs.ca,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        clients.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? ''));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true }));
      },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => server?.close(() => r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function call(tls: Record<string, unknown> | undefined, logger = createRecordingLogger()) {
    const input: TestConfigInput = {
      upstreams: {
        secure: { baseUrl: url, ...(tls ? { tls: tls as never } : {}), retry: { maxAttempts: 1 } },
      },
      tools: [{ name: 'ping', upstream: 'secure', path: '/ping' }],
    };
    const gw: Gateway = createGateway(withSecrets(testConfig(input), [certs.clientKey]), { logger });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await gw.createServer().connect(a);
    const client = new Client({ name: 't', version: '1' });
    await client.connect(b);
    try {
      return await client.callTool({ name: 'ping', arguments: {} });
    } finally {
      await client.close();
      await gw.close();
    }
  }

  it('trusts the configured CA and presents the client certificate', async () => {
    const r = await call({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
    expect(r.isError).toBeFalsy();
    expect(clients.at(-1)).toBe('client');
  });

  it('reads the certificate and key from files', async () => {
    const r = await call({ ca: certs.ca, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile });
    expect(r.isError).toBeFalsy();
  });

  it('without the client certificate the server refuses: a network tool error', async () => {
    const r = await call({ ca: certs.ca });
    expect(codeOf(r)).toBe('NETWORK_ERROR');
  });

  it('a server certificate from another CA is not trusted, and the key never reaches the logs', async () => {
    const logger = createRecordingLogger();
    const r = await call({ ca: certs.otherCa, cert: certs.clientCert, key: certs.clientKey }, logger);
    expect(codeOf(r)).toBe('NETWORK_ERROR');
    // What failed and what to give the gateway, in the config's own terms.
    const text = (r.content as { text: string }[])[0]!.text;
    expect(text).toMatch(/failed: the TLS handshake failed \(\w+: .+\)\. .*tls\.ca or tls\.caFile/);
    const body = certs.clientKey.split('\n')[1]!;
    expect(JSON.stringify(logger.records)).not.toContain(body);
  });

  it('without a CA the system roots apply and the test CA is not trusted', async () => {
    expect(codeOf(await call(undefined))).toBe('NETWORK_ERROR');
  });

  it('a certificate without its key is refused at start-up', async () => {
    await expect(call({ ca: certs.ca, cert: certs.clientCert })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});
