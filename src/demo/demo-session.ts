import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/client';
import { loadConfig } from '../config/index.js';
import { createLogger, importOptional, type Logger, type LogLevel, noopLogger } from '../core/index.js';
import { type AssignmentsUpstream, startAssignmentsUpstream } from './assignments-upstream.js';
import { type DemoContext, demoCalls, type McpClientModule } from './demo-context.js';
import { addDemoIdentity } from './demo-identity.js';
import { UpdateWaiter } from './demo-mcp.js';
import { DEMO_STEPS, type DemoStep } from './demo-steps.js';

export interface DemoOptions {
  /** Where each line of the narration goes (default: stdout). */
  print?: (line: string) => void;
  /** Environment: REDIS_URL switches the L2 cache on. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Gateway logs to stderr; default silent. */
  logLevel?: LogLevel;
  /** The config to run; default the bundled examples/conduit.yaml. */
  configPath?: string;
}

export interface DemoResult {
  /** True when every step behaved as narrated. */
  ok: boolean;
  steps: { title: string; ok: boolean }[];
  durationMs: number;
}

/** The TTL the demo gives `get_assignment`, short so stale answers show within the run. */
const DEMO_TTL = '2s';
const DEFAULT_CONFIG = fileURLToPath(new URL('../../examples/conduit.yaml', import.meta.url));

/**
 * `conduit demo`: starts the bundled assignments API and the gateway in front of it, then drives a
 * scripted MCP session and narrates it: cache miss then hit, an update that invalidates, upstream
 * failures and retries, the breaker opening, stale answers, recovery. Ends by itself; leaves nothing
 * running. The script is the table `DEMO_STEPS`; this function sets the parts up, runs each step that
 * applies, sums up and tears down.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = Date.now();
  const steps: DemoResult['steps'] = [];
  const parts: DemoParts = {};
  // The MCP client is an optional peer dependency (only the demo uses it): load it before starting
  // anything, so a missing package is one clear error and nothing to clean up.
  const sdk = await importOptional<McpClientModule>('@modelcontextprotocol/client', 'conduit demo');
  try {
    const c = await startDemo(options, sdk, print, parts);
    printIntro(c, Boolean((options.env ?? process.env).REDIS_URL));
    for (const step of DEMO_STEPS) {
      if (!step.applies || step.applies(c)) steps.push(await runStep(step, steps.length + 1, c));
    }
    const s = c.up.stats();
    const ok = steps.every((x) => x.ok);
    print('');
    print(
      `${ok ? 'Done' : 'Done, with unexpected results'} in ${((Date.now() - started) / 1000).toFixed(1)} s. ` +
        `Upstream saw ${s.requests} requests (${s.faultsInjected} failed on purpose); ` +
        `the client got an answer to every call, and no protocol error.`,
    );
    return { ok, steps, durationMs: Date.now() - started };
  } finally {
    await parts.client?.close().catch(() => {});
    await parts.gateway?.close().catch(() => {});
    await parts.upstream?.close();
  }
}

/** What `runDemo` started, each recorded as soon as it runs so that teardown closes it. */
interface DemoParts {
  upstream?: AssignmentsUpstream;
  gateway?: { close(): Promise<void>; url?: string };
  client?: Client;
}

/** Starts the upstream, the gateway on the bundled config and a connected client: the steps' context. */
async function startDemo(
  options: DemoOptions,
  sdk: McpClientModule,
  print: (line: string) => void,
  parts: DemoParts,
): Promise<DemoContext> {
  const env = options.env ?? process.env;
  const logger: Logger =
    options.logLevel && options.logLevel !== 'silent'
      ? createLogger({ level: options.logLevel, name: 'conduit-demo' })
      : noopLogger;
  const token = randomBytes(12).toString('hex');
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  // Two callers with their own tokens: the demo's own client may write, a read-only agent may not.
  const operatorToken = randomBytes(16).toString('hex');
  const readerToken = randomBytes(16).toString('hex');

  const up = await startAssignmentsUpstream({ token, logger: logger.child({ component: 'demo-upstream' }) });
  parts.upstream = up;
  const config = await loadConfig(options.configPath ?? DEFAULT_CONFIG, {
    env: {
      ...env,
      ASSIGNMENTS_API_URL: up.url,
      ASSIGNMENTS_API_TOKEN: token,
      ASSIGNMENT_CACHE_TTL: DEMO_TTL,
      ASSIGNMENTS_WEBHOOK_SECRET: webhookSecret,
    },
  });
  if (env.REDIS_URL) config.cache.redis = { url: env.REDIS_URL };
  const identity = addDemoIdentity(config, operatorToken, readerToken);
  const { startGateway } = await import('../mcp/index.js');
  const gateway = await startGateway(config, { transport: 'http', host: '127.0.0.1', port: 0, logger });
  parts.gateway = gateway;
  const gatewayUrl = gateway.url!;
  const gatewayBase = gatewayUrl.slice(0, -config.server.http.path.length);
  const hookPath = config.webhooks?.endpoints[0]?.path;
  if (hookPath) up.setWebhook({ url: `${gatewayBase}${hookPath}`, secret: webhookSecret });
  const mcp = new sdk.Client({ name: 'conduit-demo', version: config.server.version });
  parts.client = mcp;
  const updates = new UpdateWaiter();
  mcp.setNotificationHandler('notifications/resources/updated', (n) => updates.push(n.params.uri));
  const asOperator = identity
    ? { requestInit: { headers: { authorization: `Bearer ${operatorToken}` } } }
    : {};
  await mcp.connect(new sdk.StreamableHTTPClientTransport(new URL(gatewayUrl), asOperator));

  const tool = config.tools.find((t) => t.name === 'get_assignment');
  return {
    print,
    config,
    up,
    mcp,
    sdk,
    gatewayUrl,
    gatewayBase,
    hookPath,
    identity,
    operatorToken,
    readerToken,
    updates,
    ttlMs: tool?.cache?.ttl ?? 2000,
    maxAttempts: config.upstreams.assignments?.retry?.maxAttempts ?? 3,
    ...demoCalls(mcp, up, print),
    marks: { lastA1Fetch: Date.now(), openSeenAt: Date.now(), retryAfterMs: 3000 },
  };
}

/** The lines naming the parts: upstream, gateway, client, and the retry and breaker policy. */
function printIntro(c: DemoContext, withRedis: boolean): void {
  const { print, config } = c;
  const threshold = config.upstreams.assignments?.breaker?.failureThreshold ?? 5;
  print('Conduit demo: an MCP gateway in front of a flaky REST API');
  print(
    `  upstream  bundled "assignments" REST API on ${c.up.url} (in memory, bearer token from the environment)`,
  );
  print(
    `  gateway   MCP Streamable HTTP on ${c.gatewayUrl}, ${config.tools.length} tools from examples/conduit.yaml, ` +
      (withRedis ? 'cache: memory (L1) + Redis (L2)' : 'cache: memory'),
  );
  print(`  client    MCP SDK client, protocol ${c.mcp.getNegotiatedProtocolVersion() ?? 'unknown'}`);
  print(`  policy    retry ${c.maxAttempts} attempts; breaker opens after ${threshold} failures in a row`);
  print('');
}

/** Runs step number `n`: its title, its narration, and whether every check held. */
async function runStep(step: DemoStep, n: number, c: DemoContext): Promise<DemoResult['steps'][number]> {
  c.print(`${n}. ${step.title}`);
  const entry = { title: step.title, ok: true };
  await step.run(c, (ok, failure) => {
    if (!ok) {
      entry.ok = false;
      c.print(`   ✗ unexpected: ${failure}`);
    }
  });
  return entry;
}
