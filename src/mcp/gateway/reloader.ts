import { errorForLog, type Logger } from '../../core/index.js';
import type { GatewayConfig } from '../../config/index.js';
import type { Gateway } from './gateway.js';
import { logReload, type ReloadProblem, type ReloadReport } from './reload.js';

/** A config file read and checked for a reload: the config, or every problem with its line. */
export type LoadedConfig =
  | { ok: true; config: GatewayConfig }
  | { ok: false; problems: readonly ReloadProblem[] };

export interface ReloaderOptions {
  gateway: Pick<Gateway, 'reload' | 'metrics'>;
  /** Reads and validates the config file (what `conduit validate` runs), `${ENV}` read afresh. */
  load: () => Promise<LoadedConfig>;
  logger: Logger;
}

/** Asks for reloads; requests made while one runs are coalesced into one more run after it. */
export interface Reloader {
  /** Resolves with the report of the run that includes this request. */
  request(trigger: string): Promise<ReloadReport>;
}

const NO_TOOLS = { added: [], removed: [], changed: [] } as const;

/**
 * Reloads from the config file on request (SIGHUP, the file watch): reads and validates it, then
 * hands it to the gateway; logs the outcome (each problem with its line) and counts it in
 * `config_reloads_total{outcome}`. One reload runs at a time, and any number of requests arriving
 * during a run are served by a single run after it, which reads the file as it is then.
 */
export function createReloader(options: ReloaderOptions): Reloader {
  const { gateway, load, logger } = options;
  let running: Promise<ReloadReport> | undefined;
  let queued: { promise: Promise<ReloadReport>; triggers: string[] } | undefined;

  const runOnce = async (trigger: string): Promise<ReloadReport> => {
    let report: ReloadReport;
    try {
      const loaded = await load();
      report = loaded.ok
        ? await gateway.reload(loaded.config)
        : { outcome: 'invalid', problems: loaded.problems, tools: NO_TOOLS };
    } catch (err) {
      logger.warn({ err: errorForLog(err) }, 'config reload: reading the config failed');
      const message = err instanceof Error ? err.message : String(err);
      report = { outcome: 'failed', problems: [{ path: '', message }], tools: NO_TOOLS };
    }
    gateway.metrics?.configReload(report.outcome);
    logReload(logger, report, trigger);
    return report;
  };

  const start = (trigger: string): Promise<ReloadReport> => {
    const run = runOnce(trigger);
    running = run;
    // Runs before the queued request's start (registered earlier on the same promise).
    void run.finally(() => {
      running = undefined;
      queued = undefined;
    });
    return run;
  };

  return {
    request(trigger) {
      if (!running) return start(trigger);
      if (queued) {
        queued.triggers.push(trigger);
        return queued.promise;
      }
      const triggers = [trigger];
      const after = running;
      const promise = after.then(
        () => start(triggers.join(',')),
        () => start(triggers.join(',')),
      );
      queued = { promise, triggers };
      return promise;
    },
  };
}
