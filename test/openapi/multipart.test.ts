import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { loadOpenApiDocument, openApiTools } from '../../src/config/openapi/index.js';
import { startGateway } from '../../src/mcp/index.js';
import { multipartBody } from '../../src/mcp/tools/multipart-encoding.js';
import { connectV2, textOf } from '../mcp/helpers/clients.js';

/** One part as the upstream parsed it. */
interface Part {
  name: string;
  filename?: string;
  type?: string;
  bytes?: Buffer;
  text?: string;
}
interface Received {
  url: string;
  contentType: string;
  raw: string;
  parts: Part[];
}

const fixture = join(import.meta.dirname, 'fixtures/multipart.yaml');
const dir = mkdtempSync(join(tmpdir(), 'conduit-openapi-multipart-'));
let server: Server;
let baseUrl: string;
const received: Received[] = [];

beforeAll(async () => {
  // A real upstream that parses each multipart body with a full parser (undici's Request.formData).
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const contentType = String(req.headers['content-type']);
    const parts: Part[] = [];
    if (contentType.startsWith('multipart/form-data')) {
      const form = await new Request('http://upstream.test/', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      }).formData();
      for (const [name, value] of form) {
        if (typeof value === 'string') parts.push({ name, text: value });
        else
          parts.push({
            name,
            filename: (value as { name?: string }).name,
            type: value.type,
            bytes: Buffer.from(await value.arrayBuffer()),
          });
      }
    }
    received.push({ url: req.url!, contentType, raw: body.toString('latin1'), parts });
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end('{"id":"p1"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function withGateway(fn: (call: (name: string, args: unknown) => Promise<unknown>) => Promise<void>) {
  copyFileSync(fixture, join(dir, 'multipart.yaml'));
  const file = join(dir, 'conduit.yaml');
  writeFileSync(
    file,
    stringify({ upstreams: { files: { baseUrl, openapi: { document: './multipart.yaml' } } } }),
  );
  const running = await startGateway(await loadConfig(file, { env: {} }), { transport: 'http', port: 0 });
  const client = await connectV2(running.url!, 'legacy');
  try {
    await fn((name, args) => client.callTool({ name, arguments: args as Record<string, unknown> }));
  } finally {
    await client.close();
    await running.close();
  }
}

// Bytes that are not text: every byte value, so a wrong encoding anywhere shows.
const png = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe('multipart/form-data uploads', () => {
  it('file fields become { content (base64), filename?, contentType? } arguments; other fields stay as they are', async () => {
    const set = openApiTools('files', { document: fixture }, await loadOpenApiDocument(fixture));
    const upload = set.tools.find((t) => t.name === 'uploadPhoto')!;
    const photo = upload.input.properties!.photo as Record<string, unknown>;
    expect(photo.type).toBe('object');
    expect(photo.required).toEqual(['content']);
    expect(String(photo.description)).toContain('The image.');
    expect(upload.input.properties!.caption).toEqual({ type: 'string', maxLength: 200 });
    expect(upload.wire).toMatchObject({
      bodyEncoding: 'multipart',
      fileParts: { photo: 'image/png' },
      bracketParts: ['tags'],
    });
    const message = set.tools.find((t) => t.name === 'postMessage')!;
    expect(message.wire?.fileParts).toEqual({ attachments: 'application/octet-stream', voice: 'audio/ogg' });
    expect((message.input.properties!.attachments as Record<string, unknown>).maxItems).toBe(4);
    expect(set.leftOut).toEqual([]);
  });

  it('the upstream parses a real multipart body: file bytes intact, name and type per part, text and JSON fields', async () => {
    await withGateway(async (call) => {
      const result = (await call('uploadPhoto', {
        album: 'summer',
        photo: { content: png.toString('base64'), filename: 'beach.png' },
        caption: 'Sea, "sun" & sand',
        rating: 5,
        tags: { place: 'Nice' },
      })) as { isError?: boolean };
      expect(result.isError).toBeFalsy();
      const got = received.at(-1)!;
      expect(got.url).toBe('/albums/summer/photos');
      expect(got.contentType).toMatch(/^multipart\/form-data; boundary=/);
      const byName = Object.fromEntries(got.parts.map((p) => [p.name, p]));
      expect(byName.photo!.filename).toBe('beach.png');
      expect(byName.photo!.type).toBe('image/png');
      expect(byName.photo!.bytes!.equals(png)).toBe(true);
      expect(byName.caption!.text).toBe('Sea, "sun" & sand');
      expect(byName.rating!.text).toBe('5');
      // The document's encoding says deepObject for tags: bracket notation, as Stripe's uploads take it.
      expect(byName['tags[place]']!.text).toBe('Nice');
      expect(got.raw).toContain('Content-Disposition: form-data; name="photo"; filename="beach.png"');

      await call('postMessage', {
        text: 'hi',
        attachments: [
          { content: Buffer.from('one').toString('base64'), filename: 'a.txt', contentType: 'text/plain' },
          { content: Buffer.from('two').toString('base64') },
        ],
        voice: { content: Buffer.from('ogg!').toString('base64') },
      });
      const parts = received.at(-1)!.parts;
      const files = parts.filter((p) => p.name === 'attachments');
      expect(files.map((f) => [f.filename, f.type, f.bytes!.toString()])).toEqual([
        ['a.txt', 'text/plain', 'one'],
        ['attachments', 'application/octet-stream', 'two'],
      ]);
      expect(parts.find((p) => p.name === 'voice')).toMatchObject({ filename: 'voice', type: 'audio/ogg' });
    });
  });

  it('object and list fields without an encoding go as JSON text parts, null ones not at all', async () => {
    const { body, contentType } = await multipartBody(
      { meta: { a: [1, 2] }, ids: ['x', 'y'], gone: null, n: 0, file: { content: 'AAEC' } },
      new Map([['file', 'application/octet-stream']]),
    );
    const form = await new Request('http://upstream.test/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    }).formData();
    expect(form.get('meta')).toBe('{"a":[1,2]}');
    expect(form.get('ids')).toBe('["x","y"]');
    expect(form.has('gone')).toBe(false);
    expect(form.get('n')).toBe('0');
    const file = form.get('file') as unknown as Blob & { name: string };
    expect(file.name).toBe('file');
    expect([...new Uint8Array(await file.arrayBuffer())]).toEqual([0, 1, 2]);
  });

  it('bad file arguments are refused before any request: not base64, a path in the name, a header in the type', async () => {
    await withGateway(async (call) => {
      const before = received.length;
      for (const photo of [
        { content: 'not base64!' },
        { content: 'AAAA', filename: '../etc/passwd' },
        { content: 'AAAA', filename: 'a\r\nX-Evil: 1' },
        { content: 'AAAA', contentType: 'image/png\r\nX-Evil: 1' },
        { content: 'AAAA', url: 'http://169.254.169.254/' },
      ]) {
        const result = (await call('uploadPhoto', { album: 'a', photo })) as { isError?: boolean };
        expect(result.isError).toBe(true);
        expect(textOf(result)).toMatch(/photo/);
      }
      expect(received.length).toBe(before);
    });
  });
});
