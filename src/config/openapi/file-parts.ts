import type { JsonSchema } from './schema-convert.js';

/** Largest file name a file argument may carry (most file systems stop at 255 bytes). */
const MAX_FILENAME = 255;

/**
 * The tool argument for one file part of a `multipart/form-data` body: the file's bytes as base64
 * text (MCP arguments are JSON), with an optional file name and content type for the part.
 */
export function fileArgumentSchema(
  description: string | undefined,
  contentType: string,
): Record<string, unknown> {
  return {
    type: 'object',
    description: `${description ? `${description.trim()} ` : ''}(a file: its bytes base64-encoded in "content"; sent as a multipart file part, ${contentType} unless "contentType" says otherwise)`,
    properties: {
      content: {
        type: 'string',
        contentEncoding: 'base64',
        // Strict base64, so a typo is refused, not sent as different bytes.
        pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$',
      },
      filename: { type: 'string', minLength: 1, maxLength: MAX_FILENAME, pattern: '^[^\\r\\n"\\\\/]+$' },
      contentType: { type: 'string', pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
    },
    required: ['content'],
    additionalProperties: false,
  };
}

/**
 * True when a converted property schema of a multipart body is a file: `format: binary` (3.0), or a
 * `contentMediaType` / `contentEncoding` string (3.1); for a list, when its items are.
 */
export function isFileSchema(schema: JsonSchema): boolean {
  if (typeof schema !== 'object') return false;
  if (schema.type === 'array' && schema.items !== undefined && !Array.isArray(schema.items))
    return isFileSchema(schema.items as JsonSchema);
  if (schema.type !== undefined && schema.type !== 'string') return false;
  return (
    schema.format === 'binary' ||
    typeof schema.contentMediaType === 'string' ||
    (schema.contentEncoding !== undefined && schema.type === 'string')
  );
}

/** The part's content type: the single one an `encoding` entry names, the schema's media type, or bytes. */
export function partContentType(schema: JsonSchema, encoding: unknown): string {
  const declared = (encoding as { contentType?: unknown } | undefined)?.contentType;
  if (typeof declared === 'string' && /^[\w.+-]+\/[\w.+-]+$/.test(declared.trim())) return declared.trim();
  const item = typeof schema === 'object' && schema.type === 'array' ? (schema.items as JsonSchema) : schema;
  const media = typeof item === 'object' ? item.contentMediaType : undefined;
  if (typeof media === 'string' && /^[\w.+-]+\/[\w.+-]+$/.test(media)) return media;
  return 'application/octet-stream';
}

/** The file argument schema in place of a file property (a list of them for a list of files). */
export function fileProperty(schema: JsonSchema, contentType: string): Record<string, unknown> {
  const description =
    typeof schema === 'object' && typeof schema.description === 'string' ? schema.description : undefined;
  if (typeof schema === 'object' && schema.type === 'array') {
    const { items: _items, ...rest } = schema;
    return { ...rest, items: fileArgumentSchema(undefined, contentType) };
  }
  return fileArgumentSchema(description, contentType);
}
