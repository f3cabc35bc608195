import { describe, expect, it } from 'vitest';
import { secretHosts } from '../../src/config/secret-hosts.js';

describe('hosts an environment value reaches into', () => {
  it('are secrets in each written form when the value reaches into the host', () => {
    expect(
      secretHosts('https://tenant-7.example.com:8443/v1', ['https://tenant-7.example.com:8443/v1']),
    ).toEqual(expect.arrayContaining(['tenant-7.example.com:8443', 'tenant-7.example.com']));
  });

  it('are none when the value sits in the path only', () => {
    expect(secretHosts('https://api.example.com/tenants/acme-42', ['acme-42'])).toEqual([]);
  });

  it('leave a loopback name or address alone, which the gateway names in its own messages, but keep host:port', () => {
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
      const url = `http://${host}:40123/v1`;
      const forms = secretHosts(url, [url]);
      expect(forms).toContain(`${host}:40123`);
      expect(forms).not.toContain(host);
      expect(forms).not.toContain(host.replace(/^\[|\]$/g, ''));
    }
  });
});
