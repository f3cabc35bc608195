import type { ServerContext } from '@modelcontextprotocol/server';
import type { Clock, Logger } from '../../core/index.js';
import { errorForLog } from '../../core/index.js';

/** Stops the heartbeat. */
export type StopProgress = () => void;

const noopStop: StopProgress = () => {};

/**
 * While a call runs longer than `intervalMs`, sends `notifications/progress` every `intervalMs` (when the
 * client sent a progress token): clients reset their request timeout on progress, so a call waiting on
 * retries or a slow upstream is not abandoned at the client's 60 s default.
 */
export function startProgress(
  ctx: ServerContext,
  label: string,
  intervalMs: number,
  clock: Clock,
  logger: Logger,
): StopProgress {
  const token = ctx.mcpReq._meta?.progressToken;
  if (token === undefined || intervalMs <= 0) return noopStop;
  const started = clock.now();
  let count = 0;
  let handle: unknown;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    count++;
    const elapsed = Math.round((clock.now() - started) / 100) / 10;
    ctx.mcpReq
      .notify({
        method: 'notifications/progress',
        params: { progressToken: token, progress: count, message: `${label}: still waiting (${elapsed} s)` },
      })
      .catch((err: unknown) => logger.debug({ err: errorForLog(err) }, 'progress notification not sent'));
    handle = clock.setTimeout(tick, intervalMs);
  };
  handle = clock.setTimeout(tick, intervalMs);
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}
