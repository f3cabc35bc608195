import { describe, expect, it } from 'vitest';
import { createRecordingLogger, ManualClock } from '../../src/core/index.js';
import { createGatewayMetrics } from '../../src/metrics/index.js';
import type { GatewayConfig } from '../../src/config/index.js';
import {
  createReloader,
  type LoadedConfig,
  type ReloadReport,
  watchConfigFile,
} from '../../src/mcp/index.js';
import { deferred } from '../helpers/deferred.js';

const APPLIED: ReloadReport = {
  outcome: 'applied',
  problems: [],
  tools: { added: ['t'], removed: [], changed: [] },
};

/** A gateway stand-in whose reloads finish when the test says: only the trigger's sequencing is under test. */
function heldGateway() {
  const runs: { config: GatewayConfig; done: ReturnType<typeof deferred<ReloadReport>> }[] = [];
  const metrics = createGatewayMetrics();
  const waiters: (() => void)[] = [];
  return {
    runs,
    metrics,
    reload(config: GatewayConfig) {
      const done = deferred<ReloadReport>();
      runs.push({ config, done });
      for (const w of waiters.splice(0)) w();
      return done.promise;
    },
    /** Resolves once `n` reloads have started. */
    started(n: number): Promise<void> {
      if (runs.length >= n) return Promise.resolve();
      return new Promise((resolve) => {
        const check = () => (runs.length >= n ? resolve() : waiters.push(check));
        waiters.push(check);
      });
    },
  };
}

describe('reload requests', () => {
  it('never interleave: requests during a reload are served by one more reload after it, reading the file then', async () => {
    const gateway = heldGateway();
    let reads = 0;
    const load = async (): Promise<LoadedConfig> => {
      reads++;
      return { ok: true, config: { read: reads } as unknown as GatewayConfig };
    };
    const logger = createRecordingLogger();
    const reloader = createReloader({ gateway, load, logger });
    const first = reloader.request('SIGHUP');
    await gateway.started(1);
    const second = reloader.request('SIGHUP');
    const third = reloader.request('watch');
    expect(second).toBe(third);
    expect(gateway.runs).toHaveLength(1);
    gateway.runs[0]!.done.resolve(APPLIED);
    await first;
    await gateway.started(2);
    expect(gateway.runs.map((r) => (r.config as unknown as { read: number }).read)).toEqual([1, 2]);
    gateway.runs[1]!.done.resolve(APPLIED);
    expect((await second).outcome).toBe('applied');
    expect(gateway.runs).toHaveLength(2);
    const triggers = logger.records.filter((r) => r.event === 'config.reload').map((r) => r.trigger);
    expect(triggers).toEqual(['SIGHUP', 'SIGHUP,watch']);
  });

  it('an invalid file never reaches the gateway; each problem is logged with its line and counted by outcome', async () => {
    const gateway = heldGateway();
    const logger = createRecordingLogger();
    const reloader = createReloader({
      gateway,
      logger,
      load: async () => ({
        ok: false,
        problems: [
          { path: 'tools[0].method', line: 9, column: 13, message: 'expected GET, POST, …' },
          { path: 'upstreams.u.baseUrl', line: 3, column: 14, message: 'expected a URL' },
        ],
      }),
    });
    const report = await reloader.request('SIGHUP');
    expect(report.outcome).toBe('invalid');
    expect(gateway.runs).toHaveLength(0);
    const problems = logger.records.filter((r) => r.event === 'config.reload.problem');
    expect(problems.map((p) => [p.path, p.line])).toEqual([
      ['tools[0].method', 9],
      ['upstreams.u.baseUrl', 3],
    ]);
    const text = await gateway.metrics.metrics();
    expect(text).toContain('conduit_config_reloads_total{outcome="invalid"} 1');
    expect(text).toContain('conduit_config_reloads_total{outcome="applied"} 0');
  });
});

describe('the config file watch', () => {
  it('one reload per burst of changes, after the quiet time', () => {
    const clock = new ManualClock();
    let emit: () => void = () => {};
    let closed = false;
    const watcher = (_file: string, onEvent: () => void) => {
      emit = onEvent;
      return {
        close: () => {
          closed = true;
        },
      };
    };
    let changes = 0;
    const watch = watchConfigFile('/etc/conduit.yaml', () => changes++, { debounceMs: 300, watcher, clock });
    emit();
    clock.advance(200);
    emit();
    emit();
    clock.advance(299);
    expect(changes).toBe(0);
    clock.advance(1);
    expect(changes).toBe(1);
    emit();
    watch.close();
    clock.advance(1000);
    expect(changes).toBe(1);
    expect(closed).toBe(true);
  });
});
