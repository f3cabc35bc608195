/**
 * Regenerates schema/conduit.schema.json from the zod schema: `npx tsx src/config/write-json-schema.ts`.
 * A test fails when the committed file is out of date.
 */
import { writeFileSync } from 'node:fs';
import { buildJsonSchema } from './json-schema.js';

const target = new URL('../../schema/conduit.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(buildJsonSchema(), null, 2)}\n`);
process.stderr.write(`wrote ${target.pathname}\n`);
