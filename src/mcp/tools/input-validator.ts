import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/server';
import { Ajv, addFormats } from '@modelcontextprotocol/server/validators/ajv';
import { type ConduitErrorCode, nestedDeeperThan } from '../../core/index.js';
import { schemaProblem } from './schema-precheck.js';

interface AjvIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Deepest nesting of objects and arrays an argument value may have. Real arguments stay far below. */
export const MAX_ARGUMENT_DEPTH = 64;

/** Stable code in the message of an input refused for its depth (the SDK reports it as a tool error). */
export const ARGUMENTS_TOO_DEEP = 'ARGUMENTS_TOO_DEEP' satisfies ConduitErrorCode;

const TOO_DEEP_MESSAGE = `${ARGUMENTS_TOO_DEEP}: arguments are nested more than ${MAX_ARGUMENT_DEPTH} levels deep (at most ${MAX_ARGUMENT_DEPTH}); send flatter values`;

/**
 * One JSON Schema validator for every tool and every server instance. Building an Ajv engine is the
 * expensive part (a stateless HTTP server that made one per request spent a fifth of its CPU there),
 * so the gateway makes one of these and compiles each tool schema once. Messages name the field:
 * `field "id" is required; field "limit" must be <= 100`.
 */
export class InputValidator implements jsonSchemaValidator {
  private readonly ajv: InstanceType<typeof Ajv>;

  constructor() {
    // No logger: Ajv would print `unknown format "…" ignored in schema` as plain text on stderr, where
    // logs are JSON lines (and stdout is the protocol's); an unknown format is not checked, as it says.
    this.ajv = new Ajv({
      strict: false,
      allErrors: true,
      validateFormats: true,
      validateSchema: false,
      logger: false,
    });
    addFormats(this.ajv);
  }

  /**
   * Compiles a schema now, as the first call would: what `conduit validate` runs for every tool, so a
   * schema Ajv refuses is found before serving. Returns why it cannot be compiled, or undefined.
   */
  compileProblem(schema: JsonSchemaType): string | undefined {
    const { $schema: _ignored, ...rest } = schema as Record<string, unknown>;
    const problem = schemaProblem(rest);
    if (problem) return `invalid JSON Schema: ${problem}`;
    try {
      this.ajv.compile(rest);
      return undefined;
    } catch (err) {
      return `the JSON Schema cannot be compiled: ${String((err as Error)?.message ?? err).split('\n')[0]}`;
    }
  }

  /**
   * Checks the schema now (patterns, local `$ref`s: what would fail Ajv's compile) and compiles it on the
   * first input: compiling every tool's schema at start took most of a 1,200-tool gateway's start-up
   * and a good part of its memory, for tools many sessions never call. Throws on a broken schema.
   */
  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    // $schema would make Ajv look up a meta-schema it may not have; the dialect is ours to pick.
    const { $schema: _ignored, ...rest } = schema as Record<string, unknown>;
    const problem = schemaProblem(rest);
    if (problem) throw new Error(`invalid JSON Schema: ${problem}`);
    let check: ReturnType<typeof this.ajv.compile> | undefined;
    let broken: string | undefined;
    return (input: unknown) => {
      // Before Ajv: a recursive schema makes Ajv recurse as deep as the input does.
      if (nestedDeeperThan(input, MAX_ARGUMENT_DEPTH))
        return { valid: false, data: undefined, errorMessage: TOO_DEEP_MESSAGE };
      if (check === undefined && broken === undefined) {
        try {
          check = this.ajv.compile(rest);
        } catch (err) {
          // What the pre-check does not foresee: the tool refuses every call, saying why.
          broken = `the tool's input schema cannot be compiled: ${String((err as Error)?.message ?? err).split('\n')[0]}`;
        }
      }
      if (check === undefined) return { valid: false, data: undefined, errorMessage: broken ?? '' };
      if (check(input)) return { valid: true, data: input as T, errorMessage: undefined };
      return {
        valid: false,
        data: undefined,
        errorMessage: describeIssues((check.errors ?? []) as AjvIssue[]),
      };
    };
  }
}

/**
 * A validator that reports each rejected input to `onInvalid` (for metrics) and otherwise answers as
 * `inner` does, so the SDK still turns the rejection into its usual tool error.
 */
export function countingValidator(inner: jsonSchemaValidator, onInvalid: () => void): jsonSchemaValidator {
  return {
    getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
      const check = inner.getValidator<T>(schema);
      return (input: unknown) => {
        const result = check(input);
        if (!result.valid) onInvalid();
        return result;
      };
    },
  };
}

/** `/a/0/b` -> `a[0].b`; the root is "arguments". */
function fieldName(pointer: string): string {
  if (pointer === '') return '';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

function describeIssue(issue: AjvIssue): string {
  const base = fieldName(issue.instancePath);
  const join = (child: string) => (base === '' ? child : `${base}.${child}`);
  switch (issue.keyword) {
    case 'required':
      return `field "${join(String(issue.params.missingProperty))}" is required`;
    case 'additionalProperties':
      return `field "${join(String(issue.params.additionalProperty))}" is not allowed`;
    case 'enum':
      return `${base === '' ? 'arguments' : `field "${base}"`} must be one of ${JSON.stringify(issue.params.allowedValues)}`;
    default:
      return `${base === '' ? 'arguments' : `field "${base}"`} ${issue.message ?? 'is invalid'}`;
  }
}

/** Joins the distinct issues; Ajv repeats some (anyOf branches), which helps nobody. */
export function describeIssues(issues: readonly AjvIssue[]): string {
  const seen = new Set<string>();
  for (const issue of issues) {
    if (issue.keyword === 'anyOf' || issue.keyword === 'oneOf' || issue.keyword === 'if') continue;
    seen.add(describeIssue(issue));
  }
  if (seen.size === 0) return 'arguments do not match the input schema';
  return [...seen].join('; ');
}
