/** The `responses` of an operation answering 200 with a JSON body of `schema`. */
export function jsonOk(schema: unknown): Record<string, unknown> {
  return { '200': { description: 'ok', content: { 'application/json': { schema } } } };
}
