/**
 * Latency buckets in seconds, 1 ms to 60 s: fine steps where a cache hit or a local upstream answers,
 * coarse ones up to the 60 s at which MCP clients give up.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60,
];
