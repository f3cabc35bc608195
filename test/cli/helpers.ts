import { type ChildProcess, spawn } from 'node:child_process';
import type { CliIo } from '../../src/cli/io.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const EXAMPLE_CONFIG = new URL('../../examples/conduit.yaml', import.meta.url).pathname;

/** An in-memory CliIo: what a command wrote, and a way to send it a stop signal. */
export function memoryIo(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const stopListeners = new Set<(signal: string) => void>();
  const exits: number[] = [];
  const stderrWatchers = new Set<() => void>();
  const listenerWatchers = new Set<() => void>();
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => {
      err.push(t);
      for (const w of [...stderrWatchers]) w();
    },
    env,
    onStopRequest(listener) {
      stopListeners.add(listener);
      for (const w of [...listenerWatchers]) w();
      return () => stopListeners.delete(listener);
    },
    exit: (code) => exits.push(code),
  };
  return {
    io,
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    stop: (signal = 'SIGTERM') => {
      for (const l of [...stopListeners]) l(signal);
    },
    listeners: () => stopListeners.size,
    /** Resolves once the command listens for stop requests (`stop` before that reaches no one). */
    waitForStopListener(): Promise<void> {
      if (stopListeners.size > 0) return Promise.resolve();
      return new Promise((resolve) => {
        const w = () => {
          listenerWatchers.delete(w);
          resolve();
        };
        listenerWatchers.add(w);
      });
    },
    exits,
    /** Resolves with the first match of `pattern` in what was written to stderr, as soon as it is. */
    waitForStderr(pattern: RegExp): Promise<RegExpMatchArray> {
      return new Promise((resolve) => {
        const check = () => {
          const m = err.join('').match(pattern);
          if (m) {
            stderrWatchers.delete(check);
            resolve(m);
          }
        };
        stderrWatchers.add(check);
        check();
      });
    },
  };
}

/**
 * Spawns `conduit <args>` (src/cli/main.ts through tsx, or `entry`: a fixture that runs it) with its
 * output collected.
 */
export function spawnCli(args: string[], env: Record<string, string> = {}, entry = 'src/cli/main.ts') {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Resolves with the first match of `pattern` in stderr (or stdout), as soon as it appears. */
    waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stderr'): Promise<RegExpMatchArray> {
      return waitForOutput(child, stream, pattern, () => (stream === 'stderr' ? stderr : stdout));
    },
  };
}

function waitForOutput(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
  text: () => string,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = text().match(pattern);
      if (m) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`process exited before ${pattern} appeared on ${stream}:\n${text()}`));
    };
    const source = child[stream]!;
    const cleanup = () => {
      source.off('data', check);
      child.off('exit', onExit);
    };
    source.on('data', check);
    child.once('exit', onExit);
    queueMicrotask(check);
  });
}
