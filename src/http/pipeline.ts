import type { Clock, Logger } from '../core/index.js';
import type { Call } from './client.js';
import type { HttpResponse } from './response.js';

export type ResilienceOptions = {};

export interface HttpPipeline {
  execute(
    call: Call,
    attempt: (call: Call, attempt: number) => Promise<HttpResponse>,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse>;
  breakerSnapshot(): unknown;
  dispose(): void;
}

export function buildPipeline(
  _options: ResilienceOptions,
  _ctx: { upstream: string; clock: Clock; logger: Logger },
): HttpPipeline {
  return {
    execute: (call, attempt) => attempt(call, 1),
    breakerSnapshot: () => undefined,
    dispose: () => {},
  };
}
