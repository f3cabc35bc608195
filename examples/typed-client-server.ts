/**
 * A tiny in-memory "todos" REST API on 127.0.0.1 for the typed-client example: page/page_size
 * listing, get by id, create, update, delete. Run alone with `npx tsx examples/typed-client-server.ts`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

interface Todo {
  id: number;
  title: string;
  done: boolean;
}

export async function startTodoServer(port = 0): Promise<{ url: string; server: Server }> {
  const todos = new Map<number, Todo>();
  let nextId = 1;
  for (const title of ['buy milk', 'write docs', 'ship it', 'review PR', 'water plants']) {
    todos.set(nextId, { id: nextId, title, done: false });
    nextId++;
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body?: unknown) => {
        const text = body === undefined ? '' : JSON.stringify(body);
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      };
      if (req.headers.authorization !== 'Bearer demo-token') return send(401, { error: 'unauthorized' });
      const url = new URL(req.url ?? '/', 'http://localhost');
      const m = /^\/v1\/todos(?:\/(\d+))?$/.exec(url.pathname);
      if (!m) return send(404, { error: 'not found' });
      const id = m[1] ? Number(m[1]) : undefined;
      const input =
        chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<Todo>) : {};
      if (id === undefined && req.method === 'GET') {
        const page = Number(url.searchParams.get('page') ?? '1');
        const size = Number(url.searchParams.get('page_size') ?? '2');
        const all = [...todos.values()];
        return send(200, { items: all.slice((page - 1) * size, page * size), total: all.length });
      }
      if (id === undefined && req.method === 'POST') {
        const todo = { id: nextId++, title: String(input.title), done: false };
        todos.set(todo.id, todo);
        return send(201, todo);
      }
      const todo = id !== undefined ? todos.get(id) : undefined;
      if (!todo) return send(404, { error: 'no such todo' });
      if (req.method === 'GET') return send(200, todo);
      if (req.method === 'PATCH') {
        Object.assign(todo, input, { id: todo.id });
        return send(200, todo);
      }
      if (req.method === 'DELETE') {
        todos.delete(todo.id);
        return send(204);
      }
      send(405, { error: 'method not allowed' });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startTodoServer(Number(process.env.PORT ?? 0));
  console.error(`todo API listening on ${url}/v1/todos (Authorization: Bearer demo-token)`);
}
