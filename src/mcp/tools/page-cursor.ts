import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RequestValidationError } from '../../http/index.js';

/** Where a paginated tool resumes: a page number or offset, the upstream's cursor or next link, and entries of that page already shown. */
export interface PageState {
  /** `page` style: the page number. */
  p?: number;
  /** `offset` style: the offset. */
  o?: number;
  /** `cursor` style: the upstream's cursor. */
  c?: string;
  /** `link` style: the upstream's next link (absolute). */
  l?: string;
  /** Entries at the start of that page the model has already seen (a shaped answer cut mid-page). */
  s?: number;
}

// One key per process unless `server.stateKey` gives a shared one: a cursor is only good for the
// gateways holding the key that signed it (and cannot be forged).
const PROCESS_KEY = randomBytes(32);

/** One key of its own per use, from the cursor key (HMAC-SHA256 of a label). */
const subKey = (key: Buffer, use: string) =>
  createHmac('sha256', key).update(`conduit page-cursor ${use} v1`).digest();

/**
 * Opaque, tamper-safe cursors: the page state as JSON, encrypted (AES-256-CTR, its IV an HMAC of the
 * tool, the caller and the state, so equal states give equal cursors and no IV is reused for another
 * state), then an HMAC-SHA256 over the tool's name, the caller it was issued to (`caller`: the
 * principal's id for a tool whose answers are private, empty when they are the same for everyone) and
 * that ciphertext. Encrypted, because the state holds what the upstream put in its next link: a
 * credential it echoed there (`?api_key=…`) or another caller's ids must never reach a model. Signed,
 * so a client cannot edit one to steer the gateway to another page state, another tool's state, or
 * another host or path (a link state is followed only within the upstream's origin and base path
 * anyway), nor use another caller's cursor.
 */
export class PageCursors {
  private readonly encryptKey: Buffer;
  private readonly ivKey: Buffer;

  constructor(private readonly key: Buffer = PROCESS_KEY) {
    this.encryptKey = subKey(key, 'encrypt');
    this.ivKey = subKey(key, 'iv');
  }

  encode(tool: string, caller: string, state: PageState): string {
    const json = Buffer.from(JSON.stringify(state), 'utf8');
    const iv = createHmac('sha256', this.ivKey)
      .update(binding(tool, caller))
      .update(json)
      .digest()
      .subarray(0, 16);
    const cipher = createCipheriv('aes-256-ctr', this.encryptKey, iv);
    const payload = Buffer.concat([iv, cipher.update(json), cipher.final()]).toString('base64url');
    return `${payload}.${this.sign(tool, caller, payload).toString('base64url')}`;
  }

  /** The state of a cursor this gateway issued for `tool` and `caller`; anything else is a tool error naming `cursor`. */
  decode(tool: string, caller: string, cursor: string): PageState {
    const dot = cursor.indexOf('.');
    const payload = dot > 0 ? cursor.slice(0, dot) : '';
    const mac = dot > 0 ? Buffer.from(cursor.slice(dot + 1), 'base64url') : Buffer.alloc(0);
    const expected = this.sign(tool, caller, payload);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) throw invalidCursor();
    const sealed = Buffer.from(payload, 'base64url');
    if (sealed.length <= 16) throw invalidCursor();
    try {
      const decipher = createDecipheriv('aes-256-ctr', this.encryptKey, sealed.subarray(0, 16));
      const json = Buffer.concat([decipher.update(sealed.subarray(16)), decipher.final()]).toString('utf8');
      const state = JSON.parse(json) as PageState;
      if (state === null || typeof state !== 'object') throw invalidCursor();
      return state;
    } catch {
      throw invalidCursor();
    }
  }

  private sign(tool: string, caller: string, payload: string): Buffer {
    return createHmac('sha256', this.key).update(binding(tool, caller)).update(payload).digest();
  }
}

/** Lengths first: no tool name or caller id can pass for another pair. */
function binding(tool: string, caller: string): string {
  return `${tool.length}:${tool}\n${caller.length}:${caller}\n`;
}

function invalidCursor(): RequestValidationError {
  return new RequestValidationError('the arguments', [
    {
      path: 'cursor',
      message:
        'not a cursor this gateway issued for this tool and caller (edited, from another tool or caller, or from another gateway instance: instances accept each other’s cursors only when they share server.stateKey); call again without cursor to start from the first page',
    },
  ]);
}
