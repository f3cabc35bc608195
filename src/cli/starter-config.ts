// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the starter shows the config's ${VAR} syntax
/**
 * What `conduit init` writes without `--openapi`: one upstream and two tools, every section explained
 * in comments, valid as written (`conduit validate` passes, `conduit serve` starts on it) so a newcomer
 * edits a working file instead of writing one from the reference. `refs` say where the editor's JSON
 * Schema and the config reference are, seen from the config's folder.
 */
export const starterConfig = (refs: {
  schema: string;
  docs: string;
}): string => `# yaml-language-server: $schema=${refs.schema}
# A Conduit gateway config: the HTTP API to call (upstreams) and the MCP tools made from it (tools).
# Check it with:   npx conduit validate --config conduit.yaml
# Serve it with:   npx conduit serve --config conduit.yaml                    (stdio, for desktop clients)
#                  npx conduit serve --config conduit.yaml --transport http   (http://127.0.0.1:3000/mcp)
# Every key: ${refs.docs}
# Strings may use \${VAR} or \${VAR:-default}; values from the environment never appear in logs or errors.

server:
  name: my-api                       # what MCP clients see as the server's name

upstreams:
  api:                               # a name of your choice; tools refer to it
    # Written here, not from \${ENV}: every value from the environment is a secret, scrubbed from
    # answers too, so an API's own links (https://api.example.com/items/1) would come back [REDACTED].
    baseUrl: https://api.example.com
    # auth: { type: bearer, token: "\${API_TOKEN}" }   # or header / basic / query; uncomment and export API_TOKEN
    timeouts: { connect: 2s, total: 10s }
    retry: { maxAttempts: 3, baseDelay: 200ms }      # GET/HEAD and idempotent calls only
    breaker: { failureThreshold: 5, recovery: 30s }   # fail fast while the API is down

tools:
  # GET /items/{id} as a tool: the input schema is what the model fills in; {id} goes into the path.
  - name: get_item
    description: Fetch one item by its id.
    upstream: api
    path: /items/{id}
    input:
      type: object
      properties:
        id: { type: string, description: The item's id }
      required: [id]
    cache: { ttl: 60s, key: "item:{id}", tags: ["item:{id}"], staleIfError: 10m }

  # PATCH /items/{id}: input properties not in the path go into the JSON body; a success evicts the cached item.
  - name: update_item
    description: Change an item's name.
    upstream: api
    method: PATCH
    path: /items/{id}
    input:
      type: object
      properties:
        id: { type: string }
        name: { type: string }
      required: [id, name]
    invalidates: { tags: ["item:{id}"] }

# Have an OpenAPI document? \`conduit init --openapi spec.yaml\` writes the tools for every operation.
`;
