import type { GatewayConfig } from '../config/index.js';
import type { Logger } from '../core/index.js';
import type { FileWatcher, RunningGateway } from '../mcp/index.js';
import type { CliIo } from './io.js';
import { checkConfigFile } from './validate-command.js';

export interface ServeReloadOptions {
  /** The config file `serve` was started with: read again at each reload. */
  file: string;
  config: GatewayConfig;
  logger: Logger;
  /** Stands in for the directory watch of `server.reload.watch` (tests). */
  watcher?: FileWatcher | undefined;
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
      const checked = await checkConfigFile(file, io.env);
      return checked.ok ? { ok: true, config: checked.config } : { ok: false, problems: checked.problems };
    },
  });
  const stops: (() => void)[] = [];
  if (io.onReloadRequest) stops.push(io.onReloadRequest(() => void reloader.request('SIGHUP')));
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
  return () => {
    for (const stop of stops.splice(0)) stop();
  };
}
