/**
 * A typed resource client on conduit/http against a local todo API (examples/typed-client-server.ts).
 * Run: `npx tsx examples/typed-client.ts`
 */
import { z } from 'zod';
import { createLogger } from 'conduit-mcp';
import { createHttpClient, defineResource, HttpStatusError } from 'conduit-mcp/http';
import { startTodoServer } from './typed-client-server.js';

const Todo = z.object({ id: z.number(), title: z.string(), done: z.boolean() });
const NewTodo = z.object({ title: z.string().min(1) });

const { url, server } = await startTodoServer();

const api = createHttpClient({
  baseUrl: `${url}/v1`,
  headers: { Authorization: 'Bearer demo-token' }, // redacted in every log line and error
  timeouts: { connectMs: 2_000, headersMs: 5_000, bodyMs: 5_000, totalMs: 10_000 },
  retry: { maxAttempts: 3 },
  logger: createLogger({ level: 'warn', name: 'todo-example' }),
});

const todos = defineResource(api, {
  path: '/todos',
  schema: Todo,
  createSchema: NewTodo,
  updateSchema: Todo.partial().omit({ id: true }),
  list: { style: 'page', pageSize: 2 },
});

const created = await todos.create({ title: 'try conduit' });
console.log('created', created);

await todos.update(created.id, { done: true });
console.log('fetched', await todos.get(created.id));

for await (const todo of todos.list()) console.log('listed', todo.id, todo.title, todo.done ? '✔' : '');

await todos.delete(created.id);
try {
  await todos.get(created.id);
} catch (err) {
  if (err instanceof HttpStatusError) console.log('after delete:', err.status, err.bodyExcerpt);
  else throw err;
}

await api.close();
server.close();
