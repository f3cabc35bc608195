import { OpenApiError } from './errors.js';

/** The bounds of loading one OpenAPI document and building its tools (see `LoadBudget`). */
export interface DocumentLimits {
  /** Largest single file (the root or one a `$ref` names), in bytes. */
  maxFileBytes: number;
  /** Most bytes read over every file of the document. */
  maxTotalBytes: number;
  /** Most schema nodes inlined over every operation, once `$ref`s are followed. */
  maxInlinedNodes: number;
  /** Longest the load and the build may take, in ms (checked as work proceeds, by `now`). */
  maxLoadTime: number;
}

/**
 * Defaults sized from GitHub's REST document (13 MB, 1,221 operations, about 112,000 schema nodes
 * inlined in tools mode): a few times that, yet far below what hurts a process (a 60 MiB document
 * took 21 s and 2.1 GB; an 8-way `$ref` fan-out produced megabytes of schema per operation).
 */
export const DEFAULT_DOCUMENT_LIMITS: Readonly<DocumentLimits> = Object.freeze({
  maxFileBytes: 32 * 1024 * 1024,
  maxTotalBytes: 48 * 1024 * 1024,
  maxInlinedNodes: 1_000_000,
  maxLoadTime: 30_000,
});

/** Nodes between two looks at the clock: reading it for every node would cost more than the node. */
const CLOCK_EVERY = 1024;

/**
 * One budget for the whole load of a document: bytes read over its files, schema nodes inlined over
 * its operations, and time. Shared by the loader and the tool builder, so no part of the work can
 * spend it twice over. Past any bound: `OPENAPI_BUDGET_EXCEEDED`, naming the file or the operation
 * and the setting that raises the bound. `now` is injectable, so tests drive time by hand.
 */
export class LoadBudget {
  readonly limits: Readonly<DocumentLimits>;
  private bytes = 0;
  private nodes = 0;
  private readonly deadline: number;

  constructor(
    limits: Partial<DocumentLimits> = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.limits = { ...DEFAULT_DOCUMENT_LIMITS, ...definedOnly(limits) };
    this.deadline = now() + this.limits.maxLoadTime;
  }

  /** Bytes read so far over every file. */
  get bytesRead(): number {
    return this.bytes;
  }

  /** Schema nodes inlined so far over every operation. */
  get nodesInlined(): number {
    return this.nodes;
  }

  /** Counts `size` bytes of `file` against the total; throws past it or past the time. */
  read(size: number, file: string): void {
    this.bytes += size;
    if (this.bytes > this.limits.maxTotalBytes)
      throw exceeded(
        `${file}: the document's files come to more than ${mib(this.limits.maxTotalBytes)} ` +
          '(openapi.limits.maxTotalBytes); split off what is not served, or raise the limit',
      );
    this.checkTime(file);
  }

  /** Counts one schema node inlined for `operation`; throws past the total or past the time. */
  node(operation: string): void {
    if (++this.nodes > this.limits.maxInlinedNodes)
      throw exceeded(
        `operation ${operation}: the document's schemas expand to more than ${this.limits.maxInlinedNodes} ` +
          'nodes over all operations once $refs are inlined (openapi.limits.maxInlinedNodes); select fewer ' +
          'operations (include/exclude), use mode: compact, or raise the limit',
        operation,
      );
    if (this.nodes % CLOCK_EVERY === 0) this.checkTime(`operation ${operation}`, operation);
  }

  /** Throws when the time is up; `what` names the file or the operation being worked on. */
  checkTime(what: string, operation?: string): void {
    if (this.now() <= this.deadline) return;
    throw exceeded(
      `${what}: loading the document took longer than ${this.limits.maxLoadTime} ms ` +
        '(openapi.limits.maxLoadTime); select fewer operations, use mode: compact, or raise the limit',
      operation,
    );
  }
}

function exceeded(message: string, operation?: string): OpenApiError {
  return new OpenApiError('OPENAPI_BUDGET_EXCEEDED', message, operation === undefined ? {} : { operation });
}

export function mib(bytes: number): string {
  const m = bytes / (1024 * 1024);
  return m >= 1 ? `${Number(m.toFixed(1))} MiB` : `${bytes} bytes`;
}

function definedOnly(limits: Partial<DocumentLimits>): Partial<DocumentLimits> {
  const out: Partial<DocumentLimits> = {};
  for (const [k, v] of Object.entries(limits)) if (v !== undefined) (out as Record<string, number>)[k] = v;
  return out;
}
