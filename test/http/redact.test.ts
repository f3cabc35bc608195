import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextLink } from '../../src/http/link-header.js';
import { buildQueryString } from '../../src/http/query.js';
import { scrubJsonLine, scrubJsonText } from '../../src/http/json-line-scrub.js';
import { REDACTED, Redactor } from '../../src/http/redact.js';

describe('Redactor', () => {
  const r = new Redactor(['X-Signature'], ['sig_v2']);

  it('redacts built-in and configured headers, case-insensitively', () => {
    expect(
      r.headersForLog({
        Authorization: 'Bearer x',
        cookie: 'a=b',
        'x-signature': 's',
        'X-Request-Id': 'id-1',
      }),
    ).toEqual({ Authorization: REDACTED, cookie: REDACTED, 'x-signature': REDACTED, 'X-Request-Id': 'id-1' });
  });

  it('redacts secret query parameters, including encoded and repeated names, and leaves the rest', () => {
    expect(r.url('https://h/x?page=2&api_key=abc&SIG_V2=z&sig%5Fv2=y&api_key=def#frag')).toBe(
      `https://h/x?page=2&api_key=${REDACTED}&SIG_V2=${REDACTED}&sig%5Fv2=${REDACTED}&api_key=${REDACTED}#frag`,
    );
    expect(r.url('/no/query')).toBe('/no/query');
  });

  it('property: a secret query value never survives redaction of a built URL', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.constantFrom('api_key', 'access_token', 'sig_v2', 'Token'),
        fc.dictionary(fc.constantFrom('page', 'q', 'sort'), fc.string({ maxLength: 10 })),
        (value, name, others) => {
          const secret = `S3cr3t${value}`;
          const url = `https://h/p${buildQueryString(others, { [name]: secret })}`;
          const out = r.url(url);
          expect(out).not.toContain(encodeURIComponent(secret));
          expect(out).toContain(`${name}=${REDACTED}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('scrubs known secret values from free text', () => {
    expect(r.text('token tok-123456 echoed twice: tok-123456', ['tok-123456', 'ab'])).toBe(
      `token ${REDACTED} echoed twice: ${REDACTED}`,
    );
  });
});

describe('Redactor: a secret written by other encoders', () => {
  const r = new Redactor([], [], ["Grüße/O'Neil & co"]);
  it.each([
    ['verbatim', "Grüße/O'Neil & co"],
    ['percent, a URL path', "Gr%C3%BC%C3%9Fe/O'Neil%20&%20co"],
    ['percent, lower-case hex, form encoding', 'Gr%c3%bc%c3%9fe%2fO%27Neil+%26+co'],
    ['JSON ASCII-only (Python, Go)', 'Gr\\u00fc\\u00dfe\\/O\\u0027Neil \\u0026 co'],
    ['HTML escaped', 'Gr&uuml;&#223;e&#x2f;O&#39;Neil &amp; co'.replace('&uuml;', '&#xFC;')],
    ['HTML decimal with leading zeros', 'Gr&#0252;&#223;e/O&#039;Neil &#38; co'],
  ])('%s', (_name, form) => {
    expect(r.scrub(`said ${form}.`)).toBe(`said ${REDACTED}.`);
  });
});

/** True when some base64 run of `text`, read from any of its first four characters, decodes to hold `secret`. */
function base64Holds(text: string, secret: string): boolean {
  for (const run of text.match(/[A-Za-z0-9+/_-]+/g) ?? [])
    for (let s = 0; s < 4; s++)
      if (Buffer.from(run.slice(s), 'base64').toString('latin1').includes(secret)) return true;
  return false;
}

describe('Redactor: a secret inside a longer base64-encoded value', () => {
  // `?>` and `~` make the standard and URL-safe alphabets differ at every offset.
  const secret = 'tok?>~-9f8e7d6c';
  const r = new Redactor([], [], [secret]);
  it.each([
    [0, 'base64'],
    [1, 'base64'],
    [2, 'base64'],
    [0, 'base64url'],
    [1, 'base64url'],
    [2, 'base64url'],
  ] as const)('at byte offset %i mod 3, %s', (offset, alphabet) => {
    // A JSON blob whose secret starts `offset` bytes past a multiple of 3.
    const prefix = '{"k":"'.padStart(6 + offset, ' ');
    const blob = Buffer.from(`${prefix}${secret}","n":1}`).toString(alphabet);
    expect(Buffer.from(secret).toString('base64')).not.toBe(Buffer.from(secret).toString('base64url'));
    expect(base64Holds(blob, secret)).toBe(true);
    const out = r.scrub(`cursor=${blob};`);
    expect(out).toContain(REDACTED);
    expect(base64Holds(out, secret)).toBe(false);
  });

  it('a password inside a Basic credential built from user:password', () => {
    const r2 = new Redactor([], [], ['correct-horse-battery-staple']);
    for (const user of ['svc', 'svc1', 'svc12']) {
      const header = `Authorization: Basic ${Buffer.from(`${user}:correct-horse-battery-staple`).toString('base64')}`;
      expect(base64Holds(r2.scrub(header), 'correct-horse-battery-staple')).toBe(false);
    }
  });

  it('a standalone base64 form is still replaced whole, padding included', () => {
    for (const v of ['abcdefgh', 'abcdefghi', 'abcdefghij']) {
      const r2 = new Redactor([], [], [v]);
      expect(r2.scrub(`x ${Buffer.from(v).toString('base64')} y`)).toBe(`x ${REDACTED} y`);
      expect(r2.scrub(`x ${Buffer.from(v).toString('base64url')} y`)).toBe(`x ${REDACTED} y`);
    }
  });

  it('leaves a base64 blob that does not hold the secret as it is', () => {
    const blob = Buffer.from(`{"user":"someone-else","scope":"read write","n":${'7'.repeat(40)}}`).toString(
      'base64',
    );
    expect(r.scrub(blob)).toBe(blob);
  });

  it('a base64 value whose + / = are escaped (percent-encoded in a URL, \\/ in JSON) is scrubbed too', () => {
    const r2 = new Redactor([], [], ['p?ss>word~~long-secret']);
    for (const user of ['svc', 'svc1', 'svc12']) {
      const basic = Buffer.from(`${user}:p?ss>word~~long-secret`).toString('base64');
      expect(encodeURIComponent(basic)).not.toBe(basic);
      for (const written of [encodeURIComponent(basic), basic.replace(/\//g, '\\/')]) {
        const out = r2.scrub(`GET /x?auth=${written}&n=1`);
        expect(out).toContain(REDACTED);
        expect(base64Holds(decodeURIComponent(out.replace(/\\\//g, '/')), 'p?ss>word~~long-secret')).toBe(
          false,
        );
      }
    }
    const alone = Buffer.from('p?ss>word~~long-secret').toString('base64');
    expect(r2.scrub(`auth=${encodeURIComponent(alone)}&n=1`)).toBe(`auth=${REDACTED}&n=1`);
  });

  it('a secret shorter than 8 bytes is found in base64 only standing alone (shifted cores would be too short)', () => {
    const r2 = new Redactor([], [], ['pa55wd']);
    expect(r2.scrub(Buffer.from('pa55wd').toString('base64'))).toBe(REDACTED);
    const shifted = Buffer.from('u:pa55wd!').toString('base64');
    expect(r2.scrub(shifted)).toBe(shifted);
  });
});

describe('Redactor: a non-ASCII secret in a host name', () => {
  it('scrubs its punycode form, and a punycoded label that holds it, and leaves other labels', () => {
    const r = new Redactor([], [], ['bücher', 'zu\u0308rich']);
    expect(r.scrub('ENOTFOUND xn--bcher-kva.example.test')).toBe(`ENOTFOUND ${REDACTED}.example.test`);
    expect(r.scrub('GET http://XN--BCHER-EU-65A.example.test/x')).toBe(
      `GET http://${REDACTED}.example.test/x`,
    );
    // A decomposed value: the host name is normalised before it is punycoded.
    expect(r.text('host xn--zrich-kva.test', [])).toBe(`host ${REDACTED}.test`);
    expect(r.scrub('host xn--mnchen-3ya.test')).toBe('host xn--mnchen-3ya.test');
  });

  it('leaves punycoded labels alone when every secret is ASCII', () => {
    const r = new Redactor([], [], ['s3cret-value']);
    expect(r.scrub('host xn--bcher-kva.test')).toBe('host xn--bcher-kva.test');
  });
});

describe('scrubJsonText / scrubJsonLine', () => {
  const r = new Redactor([], [], ['tok-Secret-42', '1000']);
  const scrub = (t: string) => r.scrub(t);

  it('scrubs strings as decoded and whole-secret numbers, and keeps every other byte as written', () => {
    const text =
      '{ "id" : 12345678901234567890, "e":"tok-\\u0053ecret-42", "n":1000, "x":21000, "k":"a\\/b", "f":1e400 }';
    expect(scrubJsonText(text, scrub)).toBe(
      '{ "id" : 12345678901234567890, "e":"[REDACTED]", "n":"[REDACTED]", "x":21000, "k":"a\\/b", "f":1e400 }',
    );
  });

  it('a log line with a secret keeps its numbers past 2^53 and its newline', () => {
    const line = '{"level":30,"span":98765432109876543210,"msg":"token tok-Secret-42"}\n';
    expect(scrubJsonLine(line, r)).toBe(
      '{"level":30,"span":98765432109876543210,"msg":"token [REDACTED]"}\n',
    );
  });
});

describe('nextLink', () => {
  it.each([
    ['<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last"', 'https://a/x?page=2'],
    ['<https://a/x?page=9>; rel="last", </x?page=3>; rel=next', '/x?page=3'],
    ['<https://a/p2>; title="n"; rel="prev next"', 'https://a/p2'],
    ['<https://a/x?page=1>; rel="prev"', undefined],
    ['', undefined],
  ])('%s', (header, expected) => {
    expect(nextLink(header)).toBe(expected);
  });
});
