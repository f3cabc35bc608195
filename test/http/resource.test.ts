import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTodoServer } from '../../examples/typed-client-server.js';
import {
  createHttpClient,
  defineResource,
  type HttpStatusError,
  RequestValidationError,
  ResponseValidationError,
} from '../../src/http/index.js';
import { httpTestHarness } from './harness.js';

const { defer } = httpTestHarness();

const Todo = z.object({ id: z.number(), title: z.string(), done: z.boolean() });

async function todosApi(schema: z.ZodType = Todo) {
  const { url, server } = await startTodoServer();
  const client = createHttpClient({ baseUrl: `${url}/v1`, headers: { authorization: 'Bearer demo-token' } });
  defer(
    () => new Promise<void>((r) => server.close(() => r())),
    () => client.close(),
  );
  return defineResource(client, {
    path: '/todos',
    schema: schema as typeof Todo,
    createSchema: z.object({ title: z.string().min(1) }),
    updateSchema: Todo.partial().omit({ id: true }),
    list: { style: 'page', pageSize: 2 },
  });
}

describe('defineResource', () => {
  it('creates, reads, updates, lists and deletes typed items', async () => {
    const todos = await todosApi();
    const created = await todos.create({ title: 'test it' });
    expect(created).toEqual({ id: 6, title: 'test it', done: false });
    expect(await todos.update(created.id, { done: true })).toEqual({ ...created, done: true });
    expect(await todos.get(6)).toEqual({ ...created, done: true });
    const all: number[] = [];
    for await (const t of todos.list()) all.push(t.id);
    expect(all).toEqual([1, 2, 3, 4, 5, 6]);
    await todos.delete(6);
    const err = await todos.get(6).catch((e: unknown) => e);
    expect((err as HttpStatusError).status).toBe(404);
  });

  it('validates inputs before sending and items on the way back', async () => {
    const todos = await todosApi();
    await expect(todos.create({ title: '' })).rejects.toBeInstanceOf(RequestValidationError);
    const strict = await todosApi(Todo.extend({ due: z.string() }));
    const err = (await strict.get(1).catch((e: unknown) => e)) as ResponseValidationError;
    expect(err).toBeInstanceOf(ResponseValidationError);
    expect(err.issues.map((i) => i.path)).toEqual(['due']);
  });
});
