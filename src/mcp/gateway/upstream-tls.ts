import { readFileSync } from 'node:fs';
import { ConfigError } from '../../core/index.js';
import type { HttpTlsOptions } from '../../http/index.js';
import type { UpstreamConfig } from '../../config/index.js';

type TlsConfig = NonNullable<UpstreamConfig['tls']>;

function pemOf(name: string, item: 'ca' | 'cert' | 'key', tls: TlsConfig): string | undefined {
  const text = tls[item];
  const file = tls[`${item}File`];
  if (text !== undefined && file !== undefined)
    throw new ConfigError(`upstreams.${name}.tls: give ${item} or ${item}File, not both`);
  if (file === undefined) return text;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `upstreams.${name}.tls.${item}File: cannot read "${file}" (${(err as { code?: string }).code ?? 'error'}); paths are relative to the working directory`,
    );
  }
}

/**
 * The HTTP client's TLS options for one upstream: PEM text or files read now (so a missing file
 * fails the start, not the first call). A certificate needs its key and the other way round.
 */
export function upstreamTls(name: string, tls: TlsConfig | undefined): HttpTlsOptions | undefined {
  if (tls === undefined) return undefined;
  const out: HttpTlsOptions = {};
  const ca = pemOf(name, 'ca', tls);
  const cert = pemOf(name, 'cert', tls);
  const key = pemOf(name, 'key', tls);
  if ((cert === undefined) !== (key === undefined))
    throw new ConfigError(
      `upstreams.${name}.tls: mutual TLS needs both a client certificate (cert/certFile) and its key (key/keyFile)`,
    );
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  if (tls.servername !== undefined) out.servername = tls.servername;
  return out;
}
