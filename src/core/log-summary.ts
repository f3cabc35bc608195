import { type Clock, systemClock, type TimerHandle } from './clock.js';
import type { Logger, LogRecord } from './logger.js';

type Level = LogRecord['level'];
type LogFn = Logger['warn'];

/** Options of {@link summarizingLogger}. */
export interface LogSummaryOptions {
  /** Length of one summary interval, ms. Default 10 000. */
  intervalMs?: number;
  /** Levels whose repeated lines are summarised. Default `['warn', 'error']`. */
  levels?: readonly Level[];
  /**
   * Fields that make two lines "the same failure", with the message and the logger's bindings.
   * Volatile fields (durations, URLs with ids, attempts) are left out on purpose. Default: `event`,
   * `code`, `status`, `upstream`, `tool`, `operation`, `method`, `route`, `reason`, `phase` (an
   * OpenAPI warning about another operation is news, not a repeat).
   */
  keyFields?: readonly string[];
  /** Distinct lines tracked at once; lines beyond it are logged as they come. Default 1000. */
  maxKeys?: number;
  clock?: Clock;
}

const DEFAULT_KEY_FIELDS = [
  'event',
  'code',
  'status',
  'upstream',
  'tool',
  'operation',
  'method',
  'route',
  'reason',
  'phase',
];

interface Entry {
  level: Level;
  msg: string | undefined;
  fields: Record<string, unknown>;
  /** Lines held back since the last summary. */
  suppressed: number;
  /** The logger the first line went to (its bindings apply to the summary too). */
  target: Logger;
}

/** The state every child of one summarising logger shares. */
class Summary {
  readonly entries = new Map<string, Entry>();
  private timer: TimerHandle | undefined = undefined;

  constructor(
    readonly intervalMs: number,
    readonly levels: ReadonlySet<Level>,
    readonly keyFields: readonly string[],
    readonly maxKeys: number,
    private readonly clock: Clock,
  ) {}

  /** True when the line was held back (counted); false when the caller should log it. */
  hold(
    target: Logger,
    scope: string,
    level: Level,
    obj: Record<string, unknown>,
    msg: string | undefined,
  ): boolean {
    let key = `${scope}\u0000${level}\u0000${msg ?? ''}`;
    const fields: Record<string, unknown> = {};
    for (const f of this.keyFields) {
      const v = obj[f];
      if (v === undefined) continue;
      fields[f] = v;
      key += `\u0000${f}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
    }
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      entry.suppressed++;
      return true;
    }
    if (this.entries.size >= this.maxKeys) return false;
    this.entries.set(key, { level, msg, fields, suppressed: 0, target });
    this.arm();
    return false;
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    // Housekeeping: never keeps the process alive (no keepAlive).
    this.timer = this.clock.setTimeout(this.flush, this.intervalMs);
  }

  /** Writes one count line per repeated failure and forgets the lines that did not repeat. */
  readonly flush = (): void => {
    // Called by the timer or by hand: either way the scheduled one is done with.
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const [key, e] of this.entries) {
      if (e.suppressed === 0) {
        // Quiet for a whole interval: the next occurrence is logged in full again.
        this.entries.delete(key);
        continue;
      }
      const n = e.suppressed;
      e.suppressed = 0;
      e.target[e.level](
        { ...e.fields, repeated: n, interval_ms: this.intervalMs },
        `${e.msg ?? 'log line'} (repeated ${n} more times in the last ${this.intervalMs} ms)`,
      );
    }
    if (this.entries.size > 0) this.arm();
  };

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** A summarising logger: a {@link Logger} plus `flush()` (write pending counts now) and `close()`. */
export interface SummarizingLogger extends Logger {
  /** Writes the pending counts at once (e.g. before shutdown). */
  flush(): void;
  /** Writes the pending counts and stops the interval timer. */
  close(): void;
}

function wrap(inner: Logger, summary: Summary, scope: string): SummarizingLogger {
  const make = (level: Level): LogFn => {
    const write = inner[level].bind(inner);
    if (!summary.levels.has(level)) return write;
    return (obj, msg) => {
      const o = typeof obj === 'string' ? {} : obj;
      const m = typeof obj === 'string' ? obj : msg;
      if (!summary.hold(inner, scope, level, o, m)) write(obj, msg);
    };
  };
  return {
    trace: make('trace'),
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    child: (bindings) => wrap(inner.child(bindings), summary, `${scope}${JSON.stringify(bindings)}`),
    flush: () => summary.flush(),
    close: () => {
      summary.flush();
      summary.stop();
    },
  };
}

/**
 * Wraps `inner` so repeated identical failures do not flood the log: the first line of a kind is
 * written in full; further lines of that kind (same level, message, logger bindings and
 * `keyFields`) within the interval are counted, and one line per interval says how many there were
 * (`repeated`, `interval_ms`). A kind quiet for a whole interval is forgotten, so its next line is
 * written in full again. Children share the summary. The interval timer is unref'd housekeeping.
 */
export function summarizingLogger(inner: Logger, options: LogSummaryOptions = {}): SummarizingLogger {
  const summary = new Summary(
    options.intervalMs ?? 10_000,
    new Set(options.levels ?? ['warn', 'error']),
    options.keyFields ?? DEFAULT_KEY_FIELDS,
    options.maxKeys ?? 1000,
    options.clock ?? systemClock,
  );
  return wrap(inner, summary, '');
}
