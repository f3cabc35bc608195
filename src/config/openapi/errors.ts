import { ConduitError, ConfigError, type OpenApiErrorCode } from '../../core/index.js';
import { shownKeepingLines } from './text.js';

/** Stable codes of the OpenAPI errors (documented in `CONDUIT_ERROR_CODES`); match on these, not on messages. */
export type { OpenApiErrorCode };

/**
 * A problem with an OpenAPI document or the `openapi` section that selects from it. It is a
 * `ConfigError` (the CLI exits 1 and prints it), with its own stable `code`. `operation` names the
 * operation concerned (`listItems` or `GET /items`) when there is one.
 */
export class OpenApiError extends ConfigError {
  declare readonly code: OpenApiErrorCode;
  readonly operation: string | undefined;
  /**
   * The config key the problem is at, when it is about one: `upstreams.<name>.openapi.document` for a
   * document that cannot be read or parsed (set by `expandOpenApi`), so `validate` gives its line.
   */
  configKey: readonly (string | number)[] | undefined;

  constructor(
    code: OpenApiErrorCode,
    message: string,
    options: { operation?: string; cause?: unknown } = {},
  ) {
    // Messages quote the document, which may carry terminal escapes: shown escaped.
    super(shownKeepingLines(message), options.cause === undefined ? undefined : { cause: options.cause });
    // ConfigError fixes its code to INVALID_CONFIG; these errors say exactly what went wrong.
    Object.defineProperty(this, 'code', { value: code, enumerable: true, writable: false });
    this.operation = options.operation;
  }
}

/** A `$ref` that points nowhere: names the operation and the pointer. */
export class OpenApiRefError extends OpenApiError {
  readonly ref: string;
  constructor(
    code: 'OPENAPI_REF_UNRESOLVED' | 'OPENAPI_REF_CYCLE' | 'OPENAPI_REF_FORBIDDEN',
    ref: string,
    message: string,
    operation?: string,
  ) {
    super(code, message, operation === undefined ? {} : { operation });
    this.ref = ref;
  }
}

type CompactModeCode = 'OPENAPI_UNKNOWN_OPERATION' | 'OPENAPI_INVALID_ARGUMENTS' | 'OPENAPI_SCHEMA_INVALID';

/** A compact-mode call that cannot run; `operationId` is the operation it asked for. */
abstract class CompactModeError<C extends CompactModeCode> extends ConduitError {
  declare readonly code: C;
  readonly operationId: string;
  constructor(code: C, operationId: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.operationId = operationId;
  }
}

/** Compact mode: the operation id given to the invoke tool is not in the catalog. */
export class UnknownOperationError extends CompactModeError<'OPENAPI_UNKNOWN_OPERATION'> {
  constructor(operationId: string, message: string) {
    super('OPENAPI_UNKNOWN_OPERATION', operationId, message);
  }
}

/** Compact mode: the arguments do not match the chosen operation's input schema. */
export class InvalidOperationArgumentsError extends CompactModeError<'OPENAPI_INVALID_ARGUMENTS'> {
  constructor(operationId: string, message: string) {
    super('OPENAPI_INVALID_ARGUMENTS', operationId, message);
  }
}

/** Compact mode: the validator could not compile the operation's input schema (an odd document). */
export class OperationSchemaError extends CompactModeError<'OPENAPI_SCHEMA_INVALID'> {
  constructor(operationId: string, message: string, options?: { cause?: unknown }) {
    super('OPENAPI_SCHEMA_INVALID', operationId, message, options);
  }
}

/**
 * Several operations of one `openapi` section could not be built: every one is in `problems`, so
 * `conduit validate` lists them all in one run. Its code and operation are the first problem's.
 */
export class OpenApiProblems extends OpenApiError {
  readonly problems: readonly OpenApiError[];
  constructor(
    readonly upstream: string,
    problems: readonly OpenApiError[],
  ) {
    const first = problems[0]!;
    super(
      first.code,
      problems.length === 1
        ? first.message
        : `upstreams.${upstream}.openapi: ${problems.length} operations cannot be served:\n` +
            problems.map((p) => `  - ${p.message}`).join('\n') +
            '\n(exclude them, fix the document, or set openapi.skipUnsupported: true to leave them out with a warning)',
      first.operation === undefined ? {} : { operation: first.operation },
    );
    this.problems = problems;
  }
}
