import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GatewayConfigInput } from '../../helpers/gateway-config.js';
import { crashMonitorArgs } from './guard.js';

const root = resolve(import.meta.dirname, '../../..');

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stderr(): string;
  /** Resolves with the exit once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A gateway that prints no URL within this long is killed and the start fails. */
const START_TIMEOUT_MS = 60_000;

// Gateways that have not exited yet. If the test process ends first (a failed beforeAll that never
// got to keep the handle, a crash), they are killed instead of serving on their ports forever.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * Spawns `conduit serve --transport http --port 0` with `config` (and the crash monitor preloaded);
 * resolves with its URL once listening.
 */
export async function spawnGateway(config: GatewayConfigInput): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-chaos-'));
  const file = join(dir, 'conduit.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(
    process.execPath,
    [
      ...crashMonitorArgs,
      '--import',
      'tsx',
      join(root, 'src/cli/main.ts'),
      'serve',
      '--config',
      file,
      '--transport',
      'http',
      '--port',
      '0',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  live.add(child);
  const exited = once(child, 'exit').then(([code, signal]) => {
    live.delete(child);
    rmSync(dir, { recursive: true, force: true });
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  let err = '';
  let startTimer: NodeJS.Timeout | undefined;
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      err += chunk;
      const m = /"url":"(http:[^"]+)"/.exec(err);
      if (m) resolveUrl(m[1]!);
    });
    exited.then(() => reject(new Error(`gateway exited before listening: ${err}`)));
    startTimer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway printed no URL within ${START_TIMEOUT_MS} ms: ${err}`));
    }, START_TIMEOUT_MS);
  }).finally(() => clearTimeout(startTimer));
  return { child, url, stderr: () => err, exited };
}

/**
 * SIGTERM (graceful) and wait; SIGKILL if it is still there after `graceMs`. Resolves with how it
 * ended (a graceful stop is `{ code: 0, signal: null }`; an earlier exit is reported as it was).
 */
export async function stopGateway(
  p: GatewayProcess,
  graceMs = 10_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (p.child.exitCode === null && p.child.signalCode === null) {
    p.child.kill('SIGTERM');
    const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
    await p.exited;
    clearTimeout(t);
  }
  return p.exited;
}

/**
 * Resident memory of the processes (MB, from /proc/<pid>/status on Linux), as "a / b / c"; "n/a" for
 * one that is gone or when /proc is not there. The load harness's own memory is not the gateway's.
 */
export function rssMbOf(pids: readonly (number | undefined)[]): string {
  return pids
    .map((pid) => {
      try {
        const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        return kb ? String(Math.round(Number(kb) / 102.4) / 10) : 'n/a';
      } catch {
        return 'n/a';
      }
    })
    .join(' / ');
}
