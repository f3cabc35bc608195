import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type Clock, errorForLog, type Logger, systemClock } from '../../core/index.js';

/** Calls `onEvent` when something happens to the file; `close()` stops. */
export type FileWatcher = (file: string, onEvent: () => void) => { close(): void };

/**
 * Watches the file's directory, not the file: editors and config management replace a file by
 * renaming a new one over it, which a watch on the old file would not survive.
 */
export const directoryWatcher: FileWatcher = (file, onEvent) => {
  const name = basename(file);
  const watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
    if (changed === null || changed.toString() === name) onEvent();
  });
  return { close: () => watcher.close() };
};

export interface ConfigWatchOptions {
  /** Quiet time after the last change before `onChange` runs, ms (an editor's save is several events). */
  debounceMs: number;
  watcher?: FileWatcher;
  clock?: Clock;
  logger?: Logger;
}

/** Calls `onChange` once per burst of changes to the file, `debounceMs` after the last one. */
export function watchConfigFile(
  file: string,
  onChange: () => void,
  options: ConfigWatchOptions,
): { close(): void } {
  const clock = options.clock ?? systemClock;
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  let closed = false;
  const fire = () => {
    timer = undefined;
    if (!closed) onChange();
  };
  let handle: { close(): void };
  try {
    handle = (options.watcher ?? directoryWatcher)(file, () => {
      if (closed) return;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = clock.setTimeout(fire, options.debounceMs);
    });
  } catch (err) {
    options.logger?.warn(
      { err: errorForLog(err), file },
      'server.reload.watch: the config file cannot be watched; reload with SIGHUP instead',
    );
    return { close() {} };
  }
  return {
    close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      handle.close();
    },
  };
}
