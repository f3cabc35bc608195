/** The spans of a traced cached hit and miss, made as the gateway makes them (traces-micro, traces-ab). */
import { type Context, ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import {
  ATTR,
  endMcpServerSpan,
  inSpan,
  startMcpServerSpan,
  type Tracer,
} from '../../src/telemetry/index.js';

const tags = ['assignment:1'];
let n = 0;

/** The spans of one call: a server span, a cache lookup child, and (miss) an attempt span under it. */
export async function oneCall(tracer: Tracer, miss: boolean): Promise<void> {
  const id = ++n;
  const { span, ctx } = startMcpServerSpan(
    tracer,
    {
      method: 'tools/call',
      requestId: id,
      toolName: 'get_assignment_cached',
      sessionId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
      protocolVersion: '2025-06-18',
      transport: 'tcp',
      meta: undefined,
      httpTraceparent: undefined,
    },
    ROOT_CONTEXT,
  );
  await inSpan(
    tracer,
    'cache lookup',
    { [ATTR.cacheTags]: tags },
    async (s, lookup: Context) => {
      if (miss) {
        const a = tracer.startSpan(
          'GET /assignments/{id}',
          {
            kind: SpanKind.CLIENT,
            attributes: {
              [ATTR.httpMethod]: 'GET',
              [ATTR.urlTemplate]: '/assignments/{id}',
              [ATTR.urlFull]: 'http://127.0.0.1:4000/assignments/1',
              [ATTR.serverAddress]: '127.0.0.1',
              [ATTR.serverPort]: 4000,
              [ATTR.upstream]: 'api',
            },
          },
          lookup,
        );
        a.setAttribute(ATTR.httpStatus, 200);
        a.end();
      }
      s.setAttribute(ATTR.cacheTier, miss ? 'factory' : 'l1');
      s.setAttribute(ATTR.cacheResult, miss ? 'miss' : 'hit');
    },
    SpanKind.INTERNAL,
    ctx,
  );
  endMcpServerSpan(span, { isError: false });
}
