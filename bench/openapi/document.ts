/**
 * A generated REST document shaped like the APIs people connect (GitHub's, say): resources with list,
 * get, create, update and delete operations; path and paged query parameters; JSON bodies of a dozen
 * fields with nested objects, enums, arrays and shared `$ref` components; object responses.
 * Deterministic: the same `operations` gives the same document.
 */
export function restDocument(operations: number): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {
    User: {
      type: 'object',
      properties: {
        login: { type: 'string' },
        id: { type: 'integer' },
        url: { type: 'string', format: 'uri' },
        site_admin: { type: 'boolean' },
      },
      required: ['login', 'id'],
    },
    Label: {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 50 },
        color: { type: 'string', pattern: '^[0-9a-f]{6}$' },
      },
    },
  };
  const verbs = ['list', 'get', 'create', 'update', 'delete'] as const;
  for (let n = 0; n < operations; n++) {
    const r = Math.floor(n / verbs.length);
    const verb = verbs[n % verbs.length]!;
    const name = `Resource${r}`;
    if (!schemas[name])
      schemas[name] = {
        type: 'object',
        properties: {
          id: { type: 'integer', readOnly: true },
          title: { type: 'string', description: `The ${name}'s title.`, maxLength: 256 },
          body: { type: 'string', nullable: true },
          state: { type: 'string', enum: ['open', 'closed', 'archived'] },
          owner: { $ref: '#/components/schemas/User' },
          labels: { type: 'array', items: { $ref: '#/components/schemas/Label' } },
          settings: {
            type: 'object',
            properties: {
              visibility: { type: 'string', enum: ['public', 'private'] },
              notify: { type: 'boolean' },
              limits: { type: 'object', properties: { daily: { type: 'integer', minimum: 0 } } },
            },
          },
          created_at: { type: 'string', format: 'date-time' },
        },
        required: ['title'],
      };
    const collection = `/orgs/{org}/resource${r}s`;
    const item = `${collection}/{id}`;
    const org = { name: 'org', in: 'path', required: true, schema: { type: 'string' } };
    const id = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
    const ref = { $ref: `#/components/schemas/${name}` };
    const ok = (schema: unknown) => ({
      description: 'ok',
      content: { 'application/json': { schema } },
    });
    const body = { required: true, content: { 'application/json': { schema: ref } } };
    const summary = `${verb} ${name}`;
    const add = (path: string, method: string, op: Record<string, unknown>) => {
      paths[path] ??= {};
      paths[path][method] = { operationId: `${verb}${name}`, summary, tags: [`resource${r}`], ...op };
    };
    if (verb === 'list')
      add(collection, 'get', {
        parameters: [
          org,
          {
            name: 'per_page',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 100, default: 30 },
          },
          { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
          { name: 'state', in: 'query', schema: { type: 'string', enum: ['open', 'closed', 'all'] } },
          { name: 'labels', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
        ],
        responses: { '200': ok({ type: 'array', items: ref }) },
      });
    else if (verb === 'get') add(item, 'get', { parameters: [org, id], responses: { '200': ok(ref) } });
    else if (verb === 'create')
      add(collection, 'post', { parameters: [org], requestBody: body, responses: { '201': ok(ref) } });
    else if (verb === 'update')
      add(item, 'patch', { parameters: [org, id], requestBody: body, responses: { '200': ok(ref) } });
    else add(item, 'delete', { parameters: [org, id], responses: { '204': { description: 'gone' } } });
  }
  return {
    openapi: '3.0.3',
    info: { title: `Generated ${operations}`, version: '1.0.0' },
    servers: [{ url: 'http://127.0.0.1:9' }],
    paths,
    components: { schemas },
  };
}
