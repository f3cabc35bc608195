import type { CallToolResult, ServerContext, StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { toolAnnotations } from './method-annotations.js';
import { fromJsonSchema } from '@modelcontextprotocol/server';
import {
  type ListedAnnotations,
  listedAnnotations,
  listedInputSchema,
  type ToolListing,
} from './tool-listing.js';
import { cacheKeyProblems, type ReservedRequestNames } from '../../config/index.js';
import {
  AbortedError,
  type Clock,
  ConfigError,
  isAbortError,
  type Logger,
  errorForLog,
  OPERATOR,
  type Principal,
} from '../../core/index.js';
import { type HttpClient, type HttpResponse, InvalidJsonError, scrubJsonText } from '../../http/index.js';
import { type ToolSeries, toolOutcomeOf, toolOutcomeOfLookup } from '../../metrics/index.js';
import { CACHE_META_KEY, type FillContext, type GatewayCache, type GetOrSetOptions } from './cache-port.js';
import type { ToolConfig } from '../../config/index.js';
import { errorResult } from './error-result.js';
import { countingValidator, type InputValidator } from './input-validator.js';
import { defaultCacheKey, KeyTemplate } from './key-template.js';
import { startProgress } from './progress.js';
import { formBody } from './form-encoding.js';
import { multipartBody } from './multipart-encoding.js';
import { buildRequestMapping, mapArguments, pathParamNames, type RequestMapping } from './request-mapping.js';
import { rememberText, shapedResult, successResult } from './tool-result.js';
import { compileShape, fitsShape, shapedResponseLimit } from './answer-shape.js';
import { CURSOR_ARGUMENT, ToolPager } from './tool-pagination.js';
import { PageCursors } from './page-cursor.js';
import type { ConfirmStates } from './confirm-state.js';
import { CONFIRM_ARGUMENT, CONFIRM_SCHEMA, confirmCall } from './confirmation.js';
import type { InFlightGate } from './in-flight-gate.js';
import { isRedirect, redirectError } from './upstream-redirect.js';
import { ATTR, addEventTo, EVENT, traceContextOf, type Tracer } from '../../telemetry/index.js';
import type { Context } from '@opentelemetry/api';
import { tracedLookup } from './traced-lookup.js';
import type { Authorization, CallerCredential, UpstreamCredential } from '../../credentials/index.js';
import { scrubToken, sendAuthorized } from './upstream-auth.js';
import { FixedArguments, publishedInput } from './fixed-arguments.js';
import { principalOf } from '../transport/auth-info.js';
import { callerCredential } from './caller-credential.js';
import { answerScopeOf, privateCopiesTag, privateKey } from './answer-scope.js';
import { PrincipalPath } from './principal-template.js';
import { type CallSignal, stopOnly } from './call-signal.js';

const EMPTY_OBJECT_SCHEMA = { type: 'object', properties: {} } as const;

export interface ToolRuntime {
  client: HttpClient;
  upstreamName: string;
  cache: GatewayCache | undefined;
  validator: InputValidator;
  clock: Clock;
  logger: Logger;
  progressIntervalMs: number;
  /** This tool's metric series (outcome and latency per call, invalid input included). */
  series?: ToolSeries | undefined;
  /** Framing headers and the upstream's credentials (`reservedRequestNames` of its config). */
  reserved?: ReservedRequestNames | undefined;
  /** Signs and checks paginated tools' cursors (default: this process's key). */
  cursors?: PageCursors | undefined;
  /** Signs and checks confirmation questions' state (default: this process's key). */
  confirmations?: ConfirmStates | undefined;
  /** The upstream's `maxResponseBytes`, when set: a capped tool reads at least this much. */
  maxResponseBytes?: number | undefined;
  /** The upstream's calls in flight, queued per tool. */
  gate?: InFlightGate | undefined;
  /** Traces: the cache lookup in a span of its own (the call's span is the gateway's). */
  tracer?: Tracer | undefined;
  /** The upstream's token (OAuth grant, exchange, forward), sent as `Authorization` per call. */
  credential?: UpstreamCredential | undefined;
  /** Who a call without a transport identity (stdio, in-process) runs as. Default `OPERATOR`. */
  operator?: Principal | undefined;
  /**
   * False when the policy keeps this tool to some callers: its answers are then hinted `private`
   * even when the gateway's cache shares them, or a shared cache in front would hand them to the
   * others. Default true.
   */
  openToAll?: boolean | undefined;
  /**
   * A digest of what the tool's answers depend on besides the arguments, part of its default cache
   * key: a reload that changes the request does not serve the old request's answers. Read on the
   * first cached call, so a 1,000-tool document does not hash every tool before it serves.
   */
  answerVersion: () => string;
  /** What `tools/list` says of the tool beyond what it needs (`server.toolListing`). Default `compact`. */
  listing?: ToolListing | undefined;
}

/** A configured tool, compiled once: schemas, templates and the argument mapping are reused per call. */
export interface CompiledTool {
  readonly name: string;
  readonly config: {
    title?: string;
    description?: string;
    inputSchema: StandardSchemaWithJSON;
    outputSchema?: StandardSchemaWithJSON;
    annotations?: ListedAnnotations;
  };
  /** `call` aborts the upstream request: the client's cancellation or the gateway's shutdown. */
  execute(args: Record<string, unknown>, ctx: ServerContext, call: CallSignal): Promise<CallToolResult>;
}

/**
 * Parses an upstream body: JSON when it is JSON, text otherwise, null when empty; JSON nested deeper
 * than the upstream's `maxResponseDepth` fails with `ResponseTooDeepError`. `scrub` replaces
 * echoed secrets first (the body is parsed again from the scrubbed text then), so neither the cache
 * nor a client ever holds one.
 */
export function parseBody(res: HttpResponse, scrub: (text: string) => string = (t) => t): unknown {
  if (res.body.length === 0) return null;
  const raw = res.text();
  const text = scrub(raw);
  if (res.parsedJson && text === raw) {
    const value: unknown = res.json();
    rememberText(value, raw);
    return value;
  }
  const type = String(res.headers['content-type'] ?? '');
  if (type.includes('json') || type === '') {
    // A scrub of the raw text would cut JSON's own text where an `${ENV}` value is also one (a
    // `1000`, a `true`): the upstream's JSON is scrubbed inside its strings instead, on its text, so
    // it stays JSON and keeps its numbers as written (a parse and re-serialisation rounds past 2^53).
    if (text !== raw && isJson(res, raw)) {
      const clean = scrubJsonText(raw, scrub);
      const value: unknown = res.parseJson(clean);
      rememberText(value, clean);
      return value;
    }
    try {
      const value: unknown = res.parseJson(text);
      rememberText(value, text);
      return value;
    } catch (err) {
      // Undeclared text that is not JSON is served as text; JSON nested too deep fails either way.
      if (type.includes('json') || !(err instanceof InvalidJsonError)) throw err;
    }
  }
  return text;
}

/** True when the body is JSON (false too when nested too deep: the caller's parse says why). */
function isJson(res: HttpResponse, raw: string): boolean {
  try {
    if (!res.parsedJson) res.parseJson(raw);
    return true;
  } catch {
    return false;
  }
}

/**
 * `getOrSetWithMeta`, but a caller is not failed by another caller's cancellation: concurrent misses
 * share one upstream request (single-flight) that carries the signal of the caller that started it,
 * so when that caller cancels, the others start a fresh request instead of reporting a cancellation
 * of their own, as often as the caller whose request they joined cancels. An abort of the request
 * this caller started itself (or after its own cancellation) is its answer. `factory` hears whether
 * it runs in the background (a refresh behind a stale answer): its caller was answered, so the
 * caller's cancellation must not end it.
 */
export async function sharedFetch<T>(
  cache: GatewayCache,
  key: string,
  factory: (background: boolean) => Promise<T>,
  options: GetOrSetOptions,
  signal: { readonly aborted: boolean },
) {
  let ran = false;
  const own = (fill?: FillContext) => {
    ran = true;
    return factory(fill?.background === true);
  };
  for (;;) {
    try {
      return await cache.getOrSetWithMeta(key, own, options);
    } catch (err) {
      if (!isAbortError(err) || signal.aborted || ran) throw err;
    }
  }
}

/**
 * The input schema the tool publishes and enforces: closed (`additionalProperties: false`) unless the
 * tool says `allowUnlistedArguments`, so a client cannot slip `admin=true` or `owner_id` past it.
 */
export function strictInput(tool: ToolConfig): Record<string, unknown> {
  const input = (tool.input ?? EMPTY_OBJECT_SCHEMA) as Record<string, unknown>;
  if (tool.allowUnlistedArguments === true) return input;
  const extra = input.additionalProperties;
  if (extra === false) return input;
  if (extra !== undefined)
    throw new ConfigError(
      `tools.${tool.name}.input.additionalProperties opens the input to unlisted arguments; set allowUnlistedArguments: true on the tool to forward them`,
    );
  return { ...input, additionalProperties: false };
}

/** A tool error's text once more through the client's secret scrub (redirect targets, odd messages). */
function scrubbedError(result: CallToolResult, client: HttpClient): CallToolResult {
  for (const block of result.content)
    if (block.type === 'text') block.text = client.redactSecrets(block.text);
  return result;
}

export function compileTool(tool: ToolConfig, rt: ToolRuntime): CompiledTool {
  const input = strictInput(tool);
  const props = (input as { properties?: Record<string, unknown> }).properties ?? {};
  // `{auth.…}` holes of the path are filled from the caller's principal, as path parameters of their own.
  const callerPath = new PrincipalPath(tool.path, `tools.${tool.name}.path`);
  for (const name of callerPath.paramNames)
    if (name in props)
      throw new ConfigError(
        `tools.${tool.name}: the input property "${name}" is reserved for the caller's identity in the path; rename it`,
      );
  const fixed = new FixedArguments(tool.fixed, tool.name);
  for (const name of pathParamNames(callerPath.path)) {
    if (callerPath.paramNames.includes(name)) continue;
    if (!(name in props) && !fixed.names.includes(name))
      throw new ConfigError(
        `tools.${tool.name}.path uses {${name}} but the input schema has no property "${name}"`,
      );
  }
  let mapping: RequestMapping;
  try {
    mapping = buildRequestMapping(tool.method, callerPath.path, input, tool.params, tool.wire, rt.reserved);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(`tools.${tool.name}: ${err.message}`);
  }
  const series = rt.series;
  // The SDK validates input before the handler runs; count its refusals as `invalid_input`.
  const inputValidator = series
    ? countingValidator(rt.validator, () => series.record('invalid_input', 0))
    : rt.validator;
  let shown = publishedInput(input, fixed.names, tool.argumentDescriptions, tool.name);
  if (tool.pagination && tool.pagination.mode !== 'gather') {
    const shownProps = shown.properties as Record<string, unknown>;
    if ('cursor' in shownProps || fixed.names.includes('cursor'))
      throw new ConfigError(
        `tools.${tool.name}: the argument "cursor" is the pagination cursor; rename the tool's own "cursor" parameter`,
      );
    shown = { ...shown, properties: { ...shownProps, cursor: CURSOR_ARGUMENT } };
  }
  if (tool.confirm === true) {
    const shownProps = shown.properties as Record<string, unknown>;
    if (CONFIRM_ARGUMENT in shownProps || fixed.names.includes(CONFIRM_ARGUMENT))
      throw new ConfigError(
        `tools.${tool.name}: the argument "${CONFIRM_ARGUMENT}" confirms the call (confirm: true); rename the tool's own "${CONFIRM_ARGUMENT}" parameter`,
      );
    shown = { ...shown, properties: { ...shownProps, [CONFIRM_ARGUMENT]: CONFIRM_SCHEMA } };
  }
  const listing = rt.listing ?? 'compact';
  const inputSchema = listedInputSchema(shown, inputValidator, listing);
  const outputSchema = tool.output ? fromJsonSchema(tool.output as never, rt.validator) : undefined;
  const cachePolicy = tool.cache;
  for (const problem of cachePolicy ? cacheKeyProblems(tool) : [])
    throw new ConfigError(`tools.${tool.name}.cache.key: ${problem}`);
  const keyTemplate = cachePolicy?.key ? new KeyTemplate(cachePolicy.key) : undefined;
  /** The default key's `@<digest>`, hashed on the first call that needs it. */
  let version: string | undefined;
  const versionOf = (): string => {
    if (version === undefined) version = rt.answerVersion();
    return version;
  };
  const scope = answerScopeOf({
    declared: cachePolicy?.scope,
    perCallerCredential: rt.credential?.perCaller ? rt.credential.type : undefined,
    readsCaller: !callerPath.empty || fixed.fromCaller.length > 0,
  }).scope;
  const publicHint = scope === 'shared' && rt.openToAll !== false;
  const cacheHint = cachePolicy
    ? { ttlMs: cachePolicy.ttl, cacheScope: publicHint ? ('public' as const) : ('private' as const) }
    : undefined;
  const tagTemplates = (cachePolicy?.tags ?? []).map((t) => new KeyTemplate(t));
  const invalidateTags = (tool.invalidates?.tags ?? []).map((t) => new KeyTemplate(t));
  const invalidateKeys = (tool.invalidates?.keys ?? []).map((t) => new KeyTemplate(t));
  if (cachePolicy && !rt.cache)
    throw new ConfigError(`tools.${tool.name}.cache is set but the gateway has no cache`);
  const label = `${tool.name} (${mapping.method} ${rt.upstreamName}${tool.path})`;
  const log = rt.logger.child({ tool: tool.name });
  // An answer that echoes a credential (a debug endpoint, a misconfigured upstream) is served and
  // cached with the echo replaced by [REDACTED]: the gateway's key never reaches a client.
  const scrubAnswer = (text: string): string => {
    const clean = rt.client.redactSecrets(text);
    if (clean !== text)
      log.warn({ event: 'upstream.secret_echo' }, 'upstream answer echoed a secret; redacted');
    return clean;
  };

  const paging = tool.pagination;
  if (paging && mapping.method !== 'GET')
    throw new ConfigError(`tools.${tool.name}.pagination: only GET tools page through a list`);
  // A paginated tool's answers are always shaped answers (they carry the cursor); its list is the page's items.
  const shaper = compileShape(
    paging ? { ...tool.shape, list: tool.shape?.list ?? paging.items } : tool.shape,
  );
  const shapedLimit = shapedResponseLimit(rt.maxResponseBytes);
  const pager =
    paging && shaper
      ? new ToolPager(paging, tool.name, rt.cursors ?? new PageCursors(), shaper, shapedLimit)
      : undefined;
  const cursorMode = pager?.mode === 'cursor';
  if (cursorMode && cachePolicy?.key !== undefined && !cachePolicy.key.includes('{cursor}'))
    throw new ConfigError(
      `tools.${tool.name}.cache.key must name {cursor}: every page of a paginated tool is its own answer`,
    );
  const toResult = shaper ? shapedResult : successResult;
  const credential = rt.credential;
  const operator = rt.operator ?? OPERATOR;
  const callUpstream = (
    args: Record<string, unknown>,
    who: Principal,
    call: CallSignal,
    caller: CallerCredential | undefined,
    trace: Context | undefined,
  ): Promise<unknown> => {
    const run = credential
      ? () =>
          sendAuthorized(credential, caller, call.signal, trace, (auth) =>
            requestUpstream(args, who, call, trace, auth),
          )
      : () => requestUpstream(args, who, call, trace);
    return rt.gate ? rt.gate.run(tool.name, run, call) : run();
  };

  // Shaping is deterministic: it runs before the cache stores the answer, so a hit costs nothing more.
  const fetchAnswer =
    shaper && !pager
      ? async (
          args: Record<string, unknown>,
          who: Principal,
          call: CallSignal,
          caller: CallerCredential | undefined,
          trace: Context | undefined,
        ): Promise<unknown> => shaper.apply(await callUpstream(args, who, call, caller, trace))
      : callUpstream;

  const requestUpstream = async (
    args: Record<string, unknown>,
    who: Principal,
    call: CallSignal,
    trace: Context | undefined,
    auth?: Authorization,
  ): Promise<unknown> => {
    let cursor: string | undefined;
    if (cursorMode && 'cursor' in args) {
      const { cursor: given, ...rest } = args;
      cursor = typeof given === 'string' ? given : undefined;
      args = rest;
    }
    const mapped = mapArguments(mapping, args);
    const headers = auth ? { ...mapped.headers, [auth.header]: auth.value } : mapped.headers;
    const scrub = auth ? (text: string) => scrubAnswer(scrubToken(text, auth)) : scrubAnswer;
    if (pager)
      return pager.fetch(
        rt.client,
        {
          path: mapping.path,
          params: callerPath.empty ? mapped.params : callerPath.fill(mapped.params, who),
          query: mapped.query,
          headers,
          signal: call.signal,
          traceContext: trace,
        },
        cursor,
        // A private tool's cursor may name the caller's data (a next link): only they may use it.
        scope === 'private' ? who.id : '',
        (res) => parseBody(res, scrub),
      );
    const multipart =
      mapping.multipart && mapped.json !== undefined
        ? await multipartBody(mapped.json, mapping.multipart, mapping.bracketParts)
        : undefined;
    const res = await rt.client.request({
      method: mapping.method,
      path: mapping.path,
      // Filled after the arguments: an unlisted argument cannot stand in for the caller's identity.
      params: callerPath.empty ? mapped.params : callerPath.fill(mapped.params, who),
      query: mapped.query,
      ...(multipart
        ? { headers: { ...headers, 'content-type': multipart.contentType }, body: multipart.body }
        : mapping.form
          ? {
              headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
              // A whole-body argument of a form operation is the form's object (its schema says so).
              ...(mapped.wholeBody !== undefined
                ? { body: formBody(mapped.wholeBody.value as Record<string, unknown>) }
                : mapped.json !== undefined
                  ? { body: formBody(mapped.json) }
                  : {}),
            }
          : {
              headers,
              // A whole-body argument is the body itself; config checks keep it from sharing the body with fields.
              json: mapped.wholeBody ? mapped.wholeBody.value : mapped.json,
            }),
      // The client's cancellation and the gateway's shutdown, apart: no signal is made to join them.
      signal: call.clientSignal,
      stopSignal: call.stopSignal,
      traceContext: trace,
      // A tool with an output schema answers JSON; any tool whose answer says it is JSON must be.
      expectJson: tool.output !== undefined ? true : 'if-declared',
      ...(tool.timeout !== undefined ? { timeoutMs: tool.timeout } : {}),
      // A cap cuts a large answer visibly; the ceiling still bounds what is read.
      ...(shaper?.capped ? { maxResponseBytes: shapedLimit } : {}),
    });
    if (isRedirect(res.status)) {
      // A change may have been applied before the redirect (POST then 303): clear what it names anyway.
      if (mapping.method !== 'GET' && mapping.method !== 'HEAD')
        await invalidate(args, who, trace).catch((err: unknown) =>
          log.warn({ err: errorForLog(err) }, 'cache invalidation after a redirected call failed'),
        );
      throw redirectError(res);
    }
    return parseBody(res, scrub);
  };

  const invalidate = async (
    args: Record<string, unknown>,
    who: Principal,
    trace: Context | undefined,
  ): Promise<void> => {
    if (!rt.cache || (invalidateTags.length === 0 && invalidateKeys.length === 0)) return;
    const tags = invalidateTags.map((t) => t.render(args, who));
    const keys = invalidateKeys.map((t) => t.render(args, who));
    for (const k of keys) tags.push(privateCopiesTag(k));
    if (rt.tracer)
      addEventTo(trace, EVENT.invalidate, { [ATTR.cacheTags]: tags, 'conduit.cache.keys': keys.length });
    await Promise.all([
      tags.length > 0 ? rt.cache.invalidateTags(tags) : undefined,
      ...keys.map((k) => rt.cache!.delete(k)),
    ]);
  };

  // The caller's token is read on a miss only: a cache hit sends nothing.
  const callerOf = (who: Principal, ctx: ServerContext): CallerCredential | undefined =>
    credential?.perCaller ? callerCredential(who, ctx) : undefined;

  // Made once per tool, not per call: the bench runs the source under tsx, where every named
  // closure made in a call costs a defineProperty of its name.
  const redactTag = (tag: string) => rt.client.redactSecrets(tag);
  const lookup = (
    cache: GatewayCache,
    key: string,
    options: GetOrSetOptions,
    args: Record<string, unknown>,
    who: Principal,
    ctx: ServerContext,
    signal: CallSignal,
    trace: Context | undefined,
  ) =>
    rt.tracer
      ? tracedLookup(
          rt.tracer,
          sharedFetch,
          cache,
          key,
          (traced, background) =>
            fetchAnswer(args, who, background ? stopOnly(signal) : signal, callerOf(who, ctx), traced),
          options,
          signal,
          trace,
          redactTag,
        )
      : sharedFetch(
          cache,
          key,
          (background) =>
            fetchAnswer(args, who, background ? stopOnly(signal) : signal, callerOf(who, ctx), undefined),
          options,
          signal,
        );

  const execute = async (
    args: Record<string, unknown>,
    ctx: ServerContext,
    signal: CallSignal,
  ): Promise<CallToolResult> => {
    const stop = startProgress(ctx, label, rt.progressIntervalMs, rt.clock, rt.logger);
    const started = series ? performance.now() : 0;
    const who = principalOf(ctx, operator);
    // Traces: the request's span, handed down the call (no context manager follows the awaits).
    const trace = rt.tracer ? traceContextOf(ctx) : undefined;
    try {
      // A tool that asks first: nothing is sent until the user (or, before 2026-07-28, the caller) confirms.
      if (tool.confirm === true) {
        const confirmed = confirmCall(tool.name, label, args, ctx, {
          caller: who.id,
          nowMs: rt.clock.now(),
          states: rt.confirmations,
        });
        if (!confirmed.proceed) {
          if (confirmed.refused)
            series?.record(toolOutcomeOf({ code: confirmed.refused }), performance.now() - started);
          return confirmed.result;
        }
        args = confirmed.args;
      }
      // Fixed parameters are added after validation: the model never sees or sets them.
      if (!fixed.empty) args = fixed.apply(args, who);
      let result: CallToolResult;
      if (cachePolicy && rt.cache) {
        const base = keyTemplate
          ? keyTemplate.render(args, who)
          : defaultCacheKey(tool.name, versionOf(), args) + callerKeyPart(who);
        const key = scope === 'private' ? privateKey(base, who) : base;
        const options: GetOrSetOptions = { ttlMs: cachePolicy.ttl };
        if (cachePolicy.staleWhileRevalidate !== undefined)
          options.staleWhileRevalidateMs = cachePolicy.staleWhileRevalidate;
        if (cachePolicy.staleIfError !== undefined) options.staleIfErrorMs = cachePolicy.staleIfError;
        if (tagTemplates.length > 0) options.tags = tagTemplates.map((t) => t.render(args, who));
        // Invalidating the key (a tool's `invalidates.keys`, a webhook) reaches every caller's copy.
        if (scope === 'private') {
          options.tags ??= [];
          options.tags.push(privateCopiesTag(base));
        }
        if (tool.timeout !== undefined) options.timeoutMs = tool.timeout;
        const cache = rt.cache;
        let hit = await lookup(cache, key, options, args, who, ctx, signal, trace);
        // An answer cached under another shape (the config changed since): fetched again, not served.
        if (hit.source !== 'factory' && !fitsShape(hit.value, shaper)) {
          await cache.delete(key);
          hit = await lookup(cache, key, options, args, who, ctx, signal, trace);
        }
        result =
          hit.source === 'factory'
            ? toResult(hit.value, { source: 'upstream', stale: hit.stale })
            : toResult(hit.value, { source: 'cache', layer: hit.source, stale: hit.stale });
        const meta = (result._meta as Record<string, Record<string, unknown>> | undefined)?.[CACHE_META_KEY];
        // A stale answer is past its freshness already: a client may not keep it.
        if (meta) Object.assign(meta, hit.stale ? { ...cacheHint, ttlMs: 0 } : cacheHint);
        series?.record(toolOutcomeOfLookup(hit), performance.now() - started);
      } else {
        result = toResult(await fetchAnswer(args, who, signal, callerOf(who, ctx), trace), {
          source: 'upstream',
          stale: false,
        });
        series?.record('ok', performance.now() - started);
      }
      try {
        await invalidate(args, who, trace);
      } catch (err) {
        // The upstream change happened; a failed invalidation must not turn it into an error.
        log.warn({ err: errorForLog(err) }, 'cache invalidation after a successful call failed');
        (result._meta as Record<string, unknown>)['conduit/invalidation'] = 'failed';
      }
      return result;
    } catch (err) {
      if (!signal.aborted) log.debug({ code: (err as { code?: unknown }).code }, 'tool call failed');
      // An abort's own reason (client cancel, gateway shutdown) says more than the HTTP client's error.
      const cause = signal.aborted && signal.reason instanceof AbortedError ? signal.reason : err;
      series?.record(signal.aborted ? 'cancelled' : toolOutcomeOf(cause), performance.now() - started);
      return scrubbedError(errorResult(cause, rt.upstreamName, tool.name), rt.client);
    } finally {
      stop();
    }
  };

  /** The default key's part naming the caller, for a path that reads the caller's identity. */
  function callerKeyPart(who: Principal): string {
    return callerPath.empty ? '' : `:${callerPath.keyPart(who)}`;
  }

  const config: CompiledTool['config'] = { inputSchema };
  const annotations = listedAnnotations(
    toolAnnotations(tool.method, tool.annotations),
    tool.annotations,
    listing,
  );
  if (annotations) config.annotations = annotations;
  if (tool.title !== undefined) config.title = tool.title;
  if (tool.description !== undefined) config.description = tool.description;
  if (outputSchema) config.outputSchema = outputSchema;
  return { name: tool.name, config, execute };
}
