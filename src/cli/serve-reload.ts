import { stat } from 'node:fs/promises';
import type { GatewayConfig } from '../config/index.js';
import type { Logger } from '../core/index.js';
import type { FileWatcher, RunningGateway } from '../mcp/index.js';
import type { CliIo } from './io.js';
import { checkConfigFile } from './validate-command.js';

/**
 * SIGHUPs that arrive while `serve` starts. Listening from the first moment of `serve` matters: the
 * default action of SIGHUP ends the process. Requests made before reloads are ready are held (and
 * logged once a logger exists), then served by one reload when they are: the file may have changed
 * after the start read it.
 */
export interface HeldReloads {
  /** Logs held requests from now on, and says so for any held before. */
  useLogger(logger: Logger): void;
  /** From now on requests go to `reload`; one held during start-up is made at once. */
  deliverTo(reload: () => void): void;
  /** Stops listening for SIGHUP. */
  stop(): void;
}

/** Starts holding reload requests (SIGHUP) until {@link HeldReloads.deliverTo}. */
export function holdReloadRequests(io: CliIo): HeldReloads {
  let held = 0;
  let logger: Logger | undefined;
  let deliver: (() => void) | undefined;
  const note = (log: Logger, count: number) =>
    log.info(
      { event: 'config.reload.held', trigger: 'SIGHUP', requests: count },
      'SIGHUP during start-up: the config is reloaded once the gateway has started',
    );
  const stop = io.onReloadRequest?.(() => {
    if (deliver) return deliver();
    held++;
    if (logger) note(logger, held);
  });
  return {
    useLogger(l) {
      logger = l;
      if (held > 0) note(l, held);
    },
    deliverTo(reload) {
      deliver = reload;
      if (held > 0) {
        held = 0;
        reload();
      }
    },
    stop: () => stop?.(),
  };
}

export interface ServeReloadOptions {
  /** The config file `serve` was started with: read again at each reload. */
  file: string;
  config: GatewayConfig;
  logger: Logger;
  /** Stands in for the directory watch of `server.reload.watch` (tests). */
  watcher?: FileWatcher | undefined;
  /** The SIGHUPs `serve` listened for since it began (see {@link holdReloadRequests}). */
  held: HeldReloads;
  /** How `serve` bound its listener: what `--transport`, `--port` and `--host` put in force. */
  binding?: ServeBinding;
}

export interface ServeBinding {
  transport: 'stdio' | 'http';
  port?: number | undefined;
  host?: string | undefined;
}

/**
 * `next` with the running config's `server.http.port` and `host` where the file's values are not in
 * force (over stdio nothing binds them; `--port`, `--host` override them), so a change there is no
 * restart-only change that holds back the rest of a reload.
 */
export function withBindingInForce(
  next: GatewayConfig,
  running: GatewayConfig,
  binding: ServeBinding,
): GatewayConfig {
  const stdio = binding.transport === 'stdio';
  const keepPort = stdio || binding.port !== undefined;
  const keepHost = stdio || binding.host !== undefined;
  if (!keepPort && !keepHost) return next;
  const http = { ...next.server.http };
  for (const [key, keep] of [
    ['port', keepPort],
    ['host', keepHost],
  ] as const) {
    if (!keep) continue;
    if (running.server.http[key] === undefined) delete http[key];
    else Object.assign(http, { [key]: running.server.http[key] });
  }
  return { ...next, server: { ...next.server, http } };
}

/**
 * Reloads on SIGHUP and, with `server.reload.watch`, when the file changes: each reload reads the
 * file through the checks of `conduit validate` (`${ENV}` read afresh), then swaps it in. Returns
 * what stops listening.
 */
export async function startReloads(
  running: RunningGateway,
  io: CliIo,
  options: ServeReloadOptions,
): Promise<() => void> {
  const { file, logger } = options;
  const { createReloader, watchConfigFile } = await import('../mcp/index.js');
  const reloader = createReloader({
    gateway: running.gateway,
    logger,
    load: async () => {
      // validate's "pass the path with --config" does not fit here: a reload reads the file serve started with.
      if (!(await exists(file)))
        return {
          ok: false,
          problems: [
            {
              path: '',
              message: `config file ${file} is gone (moved or deleted): put it back and send SIGHUP again; the running config stays in force`,
            },
          ],
        };
      const checked = await checkConfigFile(file, io.env);
      if (!checked.ok) return { ok: false, problems: checked.problems };
      const { binding } = options;
      return {
        ok: true,
        config: binding ? withBindingInForce(checked.config, options.config, binding) : checked.config,
      };
    },
  });
  const stops: (() => void)[] = [() => options.held.stop()];
  const settings = options.config.server.reload;
  if (settings.watch) {
    const watch = watchConfigFile(file, () => void reloader.request('watch'), {
      debounceMs: settings.debounce,
      logger,
      ...(options.watcher ? { watcher: options.watcher } : {}),
    });
    stops.push(() => watch.close());
  }
  logger.info(
    { event: 'config.reload.ready', watch: settings.watch },
    settings.watch
      ? 'reloads the config on SIGHUP and when the file changes'
      : 'reloads the config on SIGHUP',
  );
  options.held.deliverTo(() => void reloader.request('SIGHUP'));
  return () => {
    for (const stop of stops.splice(0)) stop();
  };
}

/** False only when nothing is at `file` (ENOENT); any other failure is checkConfigFile's to report. */
async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    (err: NodeJS.ErrnoException) => err.code !== 'ENOENT',
  );
}
