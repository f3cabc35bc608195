import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { validateCommand } from '../../../src/cli/validate-command.js';
import { loadConfig } from '../../../src/config/index.js';
import { startGateway } from '../../../src/mcp/index.js';
import { InputValidator } from '../../../src/mcp/tools/input-validator.js';
import { memoryIo } from '../../cli/helpers.js';
import { connectV2, textOf } from '../../mcp/helpers/clients.js';
import { startPrism } from './prism.js';
import { sampleArguments } from './sample-arguments.js';

/** Statuses with which Prism refuses a request that does not match the document. */
const REFUSED = new Set([400, 404, 405, 415, 422]);

export interface PrismRun {
  /** Operations in the document. */
  operations: number;
  /** Served as tools. */
  served: number;
  /** Left out, with the reason (the `validate` note for each is checked too). */
  leftOut: { operation: string; message: string }[];
  /** Left-out operations `conduit validate` did not list with their reason (should be none). */
  unlistedByValidate: string[];
  /** Tools called (all, or every `every`-th). */
  called: number;
  /** Calls Prism accepted (it answered anything but a request-validation refusal). */
  accepted: number;
  /** Calls refused by Prism or failed before reaching it, with what was said. */
  refused: { tool: string; status: number | undefined; code: string | undefined; text: string }[];
  /** Tools whose generated arguments Conduit's own schema refused (a gap in the sampler, not served wrongly). */
  unsampled: string[];
}

/**
 * Serves `document` through the gateway (an openapi section, tools mode, every operation it can serve)
 * in front of a Prism mock of the same document, and calls every `every`-th tool once with arguments
 * generated from its input schema (deterministic): Prism checks each request against the document.
 */
export async function runAgainstPrism(
  document: string,
  options: { every?: number; optional?: boolean; concurrency?: number } = {},
): Promise<PrismRun> {
  const every = options.every ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'conduit-prism-'));
  const prism = await startPrism(document);
  try {
    const file = join(dir, 'conduit.yaml');
    writeFileSync(
      file,
      stringify({
        upstreams: {
          api: {
            baseUrl: prism.url,
            retry: { maxAttempts: 1 },
            openapi: { document, generateNames: true, skipUnsupported: true, cache: false },
          },
        },
      }),
    );
    const config = await loadConfig(file, { env: {} });
    const set = config.openapiSets!.api!;
    const leftOut = set.leftOut.map((e) => ({ operation: e.operation ?? '?', message: e.message }));
    const io = memoryIo();
    await validateCommand(['--config', file, '--json'], io.io);
    const notes = (JSON.parse(io.stdout()) as { notes: { kind: string; message: string }[] }).notes;
    const unlistedByValidate = set.leftOut
      .filter((e) => !notes.some((n) => n.kind === 'left out' && n.message === e.message))
      .map((e) => e.operation ?? e.message);

    const tools = config.tools.filter((_, i) => i % every === 0);
    const validator = new InputValidator();
    const running = await startGateway(config, { transport: 'http', port: 0 });
    const client = await connectV2(running.url!, 'legacy');
    const refused: PrismRun['refused'] = [];
    const unsampled: string[] = [];
    let accepted = 0;
    try {
      let next = 0;
      const worker = async () => {
        while (next < tools.length) {
          const tool = tools[next++]!;
          const args = sampleArguments(tool.input as Record<string, unknown>, {
            optional: options.optional === true,
          });
          if (!validator.getValidator(tool.input as never)(args).valid) {
            unsampled.push(tool.name);
            continue;
          }
          const result = await client.callTool({ name: tool.name, arguments: args });
          const error = (result._meta as Record<string, { code?: string; status?: number }> | undefined)?.[
            'conduit/error'
          ];
          if (!result.isError || (error?.status !== undefined && !REFUSED.has(error.status))) accepted++;
          else
            refused.push({
              tool: tool.name,
              status: error?.status,
              code: error?.code,
              text: textOf(result).slice(0, 1500),
            });
        }
      };
      await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
    } finally {
      await client.close();
      await running.close();
    }
    return {
      operations: set.catalog.operations.length + set.leftOut.length,
      served: config.tools.length,
      leftOut,
      unlistedByValidate,
      called: tools.length - unsampled.length,
      accepted,
      refused,
      unsampled,
    };
  } finally {
    await prism.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
