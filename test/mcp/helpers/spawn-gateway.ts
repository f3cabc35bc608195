import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GatewayConfigInput } from '../../helpers/gateway-config.js';

const root = resolve(import.meta.dirname, '../../..');
const cli = join(root, 'src/cli/main.ts');

/** Writes the config to a temp file. */
export function writeConfig(config: GatewayConfigInput): string {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-mcp-'));
  const path = join(dir, 'conduit.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** The command that serves a config on stdio: the real CLI, `conduit serve --config <file>`. */
export function serveCommand(configPath: string): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', 'tsx', cli, 'serve', '--config', configPath] };
}

export interface RawServer {
  child: ChildProcessWithoutNullStreams;
  /** Every stdout line so far. */
  stdoutLines: string[];
  stderr(): string;
  send(message: unknown): void;
  /** Resolves with the response to request `id` (`null`: an error answering no request, e.g. a parse error). */
  response(id: number | null): Promise<Record<string, unknown>>;
  /** Resolves once stderr contains `text`. */
  stderrIncludes(text: string): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the gateway and speaks JSON-RPC to it by hand, keeping every byte it writes. */
export function spawnRaw(configPath: string, env: Record<string, string> = {}): RawServer {
  const { command, args } = serveCommand(configPath);
  const child = spawn(command, args, { env: { ...process.env, ...env }, cwd: root });
  const stdoutLines: string[] = [];
  let pending = '';
  let err = '';
  const waiters = new Map<number | null, (m: Record<string, unknown>) => void>();
  const arrived = new Map<number | null, Record<string, unknown>>();
  const stderrWaiters: { text: string; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf('\n');
    while (nl !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      stdoutLines.push(line);
      try {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (typeof msg.id === 'number' || msg.id === null) {
          const waiter = waiters.get(msg.id);
          waiters.delete(msg.id);
          // A message may come before the test asks for it (several answers in one chunk): kept for it.
          if (waiter) waiter(msg);
          else arrived.set(msg.id, msg);
        }
      } catch {
        // Kept in stdoutLines; the test asserts every line parses.
      }
      nl = pending.indexOf('\n');
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
    for (const w of stderrWaiters.splice(0)) {
      if (err.includes(w.text)) w.resolve();
      else stderrWaiters.push(w);
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  return {
    child,
    stdoutLines,
    stderr: () => err,
    send: (message) => child.stdin.write(`${JSON.stringify(message)}\n`),
    response: (id) =>
      new Promise((r) => {
        const early = arrived.get(id);
        arrived.delete(id);
        if (early) r(early);
        else waiters.set(id, r);
      }),
    stderrIncludes: (text) =>
      new Promise((r) => {
        if (err.includes(text)) r();
        else stderrWaiters.push({ text, resolve: r });
      }),
    exit,
  };
}
