import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../helpers/free-ports.js';

const root = join(import.meta.dirname, '../../..');
const prismCli = join(root, 'node_modules/@stoplight/prism-cli/dist/index.js');

/** A running Prism mock of one document: request validation on (it answers 422 to an invalid request). */
export interface PrismMock {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts `prism mock` on 127.0.0.1 (a free port) for `document`, with the current `node`, and resolves
 * once it answers HTTP. Prism validates every request against the document before it mocks an answer.
 */
export async function startPrism(document: string, readyWithinMs = 180_000): Promise<PrismMock> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPrismOnce(document, await freePort(), readyWithinMs);
    } catch (err) {
      // Another process may bind the port while Prism parses a large document; a new port cures that.
      if (!(err instanceof PortTaken) || attempt === 3) throw err;
    }
  }
}

/** Prism exited because its port was taken by the time it came to listen. */
class PortTaken extends Error {}

async function startPrismOnce(document: string, port: number, readyWithinMs: number): Promise<PrismMock> {
  const child: ChildProcess = spawn(
    process.execPath,
    [prismCli, 'mock', '-h', '127.0.0.1', '-p', String(port), '--dynamic', 'false', document],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const url = `http://127.0.0.1:${port}`;
  const gone = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let exited = false;
  void gone.then(() => {
    exited = true;
  });
  const close = async () => {
    if (!exited) child.kill('SIGKILL');
    await gone;
  };
  // Ready when it says so on stdout ("Prism is listening on <url>"); its log goes there too.
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output = (output + d.toString()).slice(-8000);
      if (output.includes(`is listening on ${url}`)) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-8000);
    });
    void gone.then((code) => {
      const message = `prism exited (${code}) before it was ready: ${output}`;
      reject(output.includes('EADDRINUSE') ? new PortTaken(message) : new Error(message));
    });
  });
  const timer = setTimeout(() => void close(), readyWithinMs);
  try {
    await ready;
  } catch (err) {
    throw exited && output === '' ? new Error(`prism not ready within ${readyWithinMs} ms`) : err;
  } finally {
    clearTimeout(timer);
  }
  return { url, close };
}
