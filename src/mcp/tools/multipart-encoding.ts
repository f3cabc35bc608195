import { Blob } from 'node:buffer';
import { FormData, Response } from 'undici';
import { bracketPairs } from './form-encoding.js';

/** A file argument as the tool's input schema has it (validated before it gets here). */
interface FileArgument {
  content: string;
  filename?: string;
  contentType?: string;
}

/**
 * A `multipart/form-data` body of the given fields: each file field (`fileParts`, with its default
 * content type) is a file part of the decoded base64 `content`, named `filename` (default: the field
 * name); a list gives one part per file. Other fields are text parts: strings as they are, numbers and
 * booleans as text, objects and lists as JSON text (OpenAPI's default for them), or, for the fields in
 * `brackets` (the document's `encoding` says `deepObject`), one text part per bracket pair
 * (`meta[a]=b`). `null` sends nothing.
 * Encoded by undici's FormData, so the boundary and part headers are what fetch would write.
 */
export async function multipartBody(
  fields: Readonly<Record<string, unknown>>,
  fileParts: ReadonlyMap<string, string>,
  brackets: ReadonlySet<string> = new Set(),
): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    const defaultType = fileParts.get(name);
    if (defaultType !== undefined) {
      for (const file of (Array.isArray(value) ? value : [value]) as FileArgument[]) {
        const bytes = Buffer.from(file.content, 'base64');
        form.append(
          name,
          new Blob([bytes], { type: file.contentType ?? defaultType }),
          file.filename ?? name,
        );
      }
    } else if (brackets.has(name) && typeof value === 'object')
      for (const [key, text] of bracketPairs(name, value)) form.append(key, text);
    else form.append(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  const encoded = new Response(form);
  return {
    body: Buffer.from(await encoded.arrayBuffer()),
    contentType: encoded.headers.get('content-type')!,
  };
}
