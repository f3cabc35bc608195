import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/mcp/index.js';
import { ConfirmStates } from '../../src/mcp/tools/confirm-state.js';
import { signedStates } from '../../src/mcp/tools/state-keys.js';
import { testConfig, type ToolInput } from '../helpers/gateway-config.js';
import { parseExposition, seriesValue } from '../metrics/exposition.js';
import { connectV1, connectV2, textOf } from './helpers/clients.js';
import { type ListUpstream, startListUpstream } from './helpers/list-upstream.js';
import { serveOpenApi } from './helpers/serve-files.js';

interface Result {
  isError?: boolean;
  structuredContent?: unknown;
  content: { type: string; text?: string }[];
  _meta?: Record<string, { code?: string }>;
}

/** A tool that changes data upstream and asks first. */
const DELETE_ITEM: ToolInput = {
  name: 'delete_item',
  upstream: 'list',
  method: 'DELETE',
  path: '/items/{id}',
  input: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  confirm: true,
};

let upstream: ListUpstream;
let gateway: RunningGateway;
beforeAll(async () => {
  upstream = await startListUpstream();
  gateway = await startGateway(
    testConfig({
      upstreams: { list: { baseUrl: upstream.url } },
      tools: [DELETE_ITEM],
    }),
    { transport: 'http' },
  );
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

const deletes = () => upstream.seen.filter((r) => r.method === 'DELETE');

/** A 2026-07-28 v2 client whose user answers the confirmation form with `answer`. */
async function modernWithForms(answer: { action: 'accept' | 'decline' | 'cancel'; content?: object }) {
  const asked: { message: string; deletesSoFar: number }[] = [];
  const client = new Client(
    { name: 'confirming', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: { form: {} } } },
  );
  client.setRequestHandler('elicitation/create', async (req) => {
    asked.push({ message: (req.params as { message: string }).message, deletesSoFar: deletes().length });
    return answer as never;
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url!)));
  return { client, asked };
}

describe('confirm: true on a 2026-07-28 connection with forms (input-required round trip)', () => {
  it('asks the user first and calls the upstream only after they accept', async () => {
    const { client, asked } = await modernWithForms({ action: 'accept', content: { confirm: true } });
    try {
      const before = deletes().length;
      const got = (await client.callTool({ name: 'delete_item', arguments: { id: '7' } })) as Result;
      expect(got.isError, textOf(got)).toBeFalsy();
      expect(asked).toHaveLength(1);
      expect(asked[0]!.message).toContain('delete_item');
      // Nothing was sent while the question was open.
      expect(asked[0]!.deletesSoFar).toBe(before);
      expect(deletes().length).toBe(before + 1);
      expect(deletes().at(-1)!.url).toBe('/items/7');
    } finally {
      await client.close();
    }
  });

  it('sends nothing when the user declines, even if the model passed confirm: true itself', async () => {
    const { client, asked } = await modernWithForms({ action: 'decline' });
    try {
      const before = deletes().length;
      const got = (await client.callTool({
        name: 'delete_item',
        arguments: { id: '8', confirm: true },
      })) as Result;
      expect(got.isError).toBe(true);
      expect(got._meta?.['conduit/error']?.code).toBe('CONFIRMATION_DECLINED');
      expect(textOf(got)).toContain('not confirmed');
      expect(asked).toHaveLength(1);
      expect(deletes().length).toBe(before);
    } finally {
      await client.close();
    }
  });
});

/** One raw 2026-07-28 tools/call of delete_item from a client that declares forms. */
async function rawCall(params: { id: string; inputResponses?: object; requestState?: string }) {
  const res = await fetch(gateway.url!, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'delete_item',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'delete_item',
        arguments: { id: params.id },
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
        },
        ...(params.inputResponses ? { inputResponses: params.inputResponses } : {}),
        ...(params.requestState !== undefined ? { requestState: params.requestState } : {}),
      },
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { result: { resultType?: string; requestState?: string; isError?: boolean } })
    .result;
}
const ACCEPT = { confirm: { action: 'accept', content: { confirm: true } } };

describe('a confirmation counts only as the answer to the question the gateway asked about that call', () => {
  it('an acceptance sent with the first request, never asked for, is asked again; nothing is sent', async () => {
    const before = deletes().length;
    const got = await rawCall({ id: '11', inputResponses: ACCEPT });
    expect(got.resultType).toBe('input_required');
    expect(deletes().length).toBe(before);
  });

  it("one call's confirmation carried over to other arguments is asked again; its own call runs", async () => {
    const before = deletes().length;
    const asked = await rawCall({ id: '12' });
    expect(asked.resultType).toBe('input_required');
    const state = asked.requestState!;
    const carried = await rawCall({ id: '13', inputResponses: ACCEPT, requestState: state });
    expect(carried.resultType).toBe('input_required');
    const forged = await rawCall({
      id: '12',
      inputResponses: ACCEPT,
      requestState: `${state.slice(0, -2)}AA`,
    });
    expect(forged.resultType).toBe('input_required');
    expect(deletes().length).toBe(before);
    const own = await rawCall({ id: '12', inputResponses: ACCEPT, requestState: state });
    expect(own.resultType).toBe('complete');
    expect(own.isError).toBeFalsy();
    expect(
      deletes()
        .map((r) => r.url)
        .slice(before),
    ).toEqual(['/items/12']);
  });
});

const argumentClients: [
  string,
  () => Promise<{ callTool(p: unknown): Promise<unknown>; close(): Promise<void> }>,
][] = [
  ['v2 client, 2026-07-28 without forms', () => connectV2(gateway.url!, 'modern') as never],
  ['v2 client, 2025 handshake', () => connectV2(gateway.url!, 'legacy') as never],
  ['v1 client', () => connectV1(gateway.url!) as never],
];

describe.each(argumentClients)('confirm: true for a client that cannot be asked (%s)', (_, connect) => {
  it('is a tool error naming the confirm argument, then runs with confirm: true (which is not forwarded)', async () => {
    const client = await connect();
    try {
      const before = deletes().length;
      const first = (await client.callTool({ name: 'delete_item', arguments: { id: '9' } })) as Result;
      expect(first.isError).toBe(true);
      expect(first._meta?.['conduit/error']?.code).toBe('CONFIRMATION_REQUIRED');
      expect(textOf(first)).toContain('confirm: true');
      expect(deletes().length).toBe(before);

      const second = (await client.callTool({
        name: 'delete_item',
        arguments: { id: '9', confirm: true },
      })) as Result;
      expect(second.isError, textOf(second)).toBeFalsy();
      expect(deletes().length).toBe(before + 1);
      expect(deletes().at(-1)!.url).toBe('/items/9');
    } finally {
      await client.close();
    }
  });
});

describe('confirmation state across gateway instances (server.stateKey)', () => {
  it('a question one instance asked is answered on another sharing the key; not on one with another key or none', () => {
    const shared = 'state-key-shared-by-a-and-b-0123456789';
    const a = signedStates(shared).confirmations!;
    const b = signedStates(shared).confirmations!;
    const args = { id: 7 };
    const state = a.mint('delete_item', 'alice', args, 1_000);
    expect(b.valid(state, 'delete_item', 'alice', args, 2_000)).toBe(true);
    expect(b.valid(state, 'delete_item', 'bob', args, 2_000)).toBe(false);
    expect(
      signedStates('state-key-of-another-deployment-987654').confirmations!.valid(
        state,
        'delete_item',
        'alice',
        args,
        2_000,
      ),
    ).toBe(false);
    expect(new ConfirmStates().valid(state, 'delete_item', 'alice', args, 2_000)).toBe(false);
    // Without a key, each process signs with its own.
    expect(signedStates(undefined)).toEqual({ cursors: undefined, confirmations: undefined });
  });
});

describe('OpenAPI tools: overrides.<operationId>.confirm', () => {
  const paths = {
    '/items/{id}': {
      delete: {
        operationId: 'deleteItem',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'ok' } },
      },
    },
  };
  const serve = (mode: string) =>
    serveOpenApi(upstream.url, paths, { mode, overrides: { deleteItem: { confirm: true } } });
  let tools: Awaited<ReturnType<typeof serve>>;
  let compact: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    tools = await serve('tools');
    compact = await serve('compact');
  });
  afterAll(async () => {
    await tools?.close();
    await compact?.close();
  });

  const calls: [string, 'tools' | 'compact', (id: string, extra?: object) => unknown][] = [
    ['tools mode', 'tools', (id, extra = {}) => ({ name: 'deleteItem', arguments: { id, ...extra } })],
    [
      'compact invoke',
      'compact',
      (id, extra = {}) => ({
        name: 'list_invoke_operation',
        arguments: { operationId: 'deleteItem', arguments: { id, ...extra } },
      }),
    ],
  ];

  it.each(calls)(
    '%s: a 2026-07-28 client with forms is asked first; the upstream is called after the yes',
    async (_, mode, params) => {
      const url = (mode === 'tools' ? tools : compact).gateway.url!;
      const asked: number[] = [];
      const client = new Client(
        { name: 'confirming', version: '1.0.0' },
        { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: { form: {} } } },
      );
      client.setRequestHandler('elicitation/create', async () => {
        asked.push(deletes().length);
        return { action: 'accept', content: { confirm: true } } as never;
      });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      try {
        const before = deletes().length;
        const got = (await client.callTool(params(`oa-${mode}`) as never)) as Result;
        expect(got.isError, textOf(got)).toBeFalsy();
        expect(asked).toEqual([before]);
        expect(
          deletes()
            .map((r) => r.url)
            .slice(before),
        ).toEqual([`/items/oa-${mode}`]);
      } finally {
        await client.close();
      }
    },
  );

  it.each(calls)(
    '%s: a v1 client gets the error naming confirm, then runs with confirm: true',
    async (_, mode, params) => {
      const client = await connectV1((mode === 'tools' ? tools : compact).gateway.url!);
      try {
        const before = deletes().length;
        const first = (await client.callTool(params(`v1-${mode}`) as never)) as Result;
        expect(first.isError).toBe(true);
        expect(textOf(first)).toContain('confirm: true');
        expect(deletes().length).toBe(before);
        const second = (await client.callTool(params(`v1-${mode}`, { confirm: true }) as never)) as Result;
        expect(second.isError, textOf(second)).toBeFalsy();
        expect(
          deletes()
            .map((r) => r.url)
            .slice(before),
        ).toEqual([`/items/v1-${mode}`]);
      } finally {
        await client.close();
      }
    },
  );
});

describe('refused confirmations in the tool metrics', () => {
  it('a call refused for want of confirmation counts as invalid_input, a declined one as forbidden; a question is not an outcome', async () => {
    const config = testConfig({
      metrics: { enabled: true, path: '/metrics' },
      upstreams: { list: { baseUrl: upstream.url } },
      tools: [DELETE_ITEM],
    });
    const counted = await startGateway(config, { transport: 'http' });
    const outcome = async (o: string) => {
      const text = await (await fetch(counted.url!.replace(/\/mcp$/, '/metrics'))).text();
      return (
        seriesValue(parseExposition(text), 'conduit_tool_calls_total', {
          tool: 'delete_item',
          upstream: 'list',
          outcome: o,
        }) ?? 0
      );
    };
    const legacy = await connectV2(counted.url!, 'legacy');
    const declining = new Client(
      { name: 'declining', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: { form: {} } } },
    );
    let questions = 0;
    declining.setRequestHandler('elicitation/create', async () => {
      questions += 1;
      // The question is open: it has not been counted as any outcome yet.
      expect(await outcome('forbidden')).toBe(0);
      return { action: 'decline' } as never;
    });
    try {
      await declining.connect(new StreamableHTTPClientTransport(new URL(counted.url!)));
      const required = (await legacy.callTool({ name: 'delete_item', arguments: { id: '21' } })) as Result;
      expect(required._meta?.['conduit/error']?.code).toBe('CONFIRMATION_REQUIRED');
      expect(await outcome('invalid_input')).toBe(1);
      const declined = (await declining.callTool({ name: 'delete_item', arguments: { id: '22' } })) as Result;
      expect(declined._meta?.['conduit/error']?.code).toBe('CONFIRMATION_DECLINED');
      expect(questions).toBe(1);
      expect(await outcome('forbidden')).toBe(1);
      expect(await outcome('ok')).toBe(0);
    } finally {
      await legacy.close();
      await declining.close();
      await counted.close();
    }
  });
});
