/** Shared foundations: errors with stable codes, the clock seam and the logger seam. */
export { ConduitError, ConfigError, AbortedError, isAbortError } from './errors.js';
export {
  isObject,
  positive,
  nonNegative,
  errorForLog,
  errorCodeOf,
  isRefusedRequest,
  errorLabel,
  errorMessage,
} from './checks.js';
export { Emitter } from './emitter.js';
export { LruMap } from './lru-map.js';
export { nestedDeeperThan, MAX_NESTING_LIMIT } from './nesting.js';
export { PATH_HOLE, unsafePathReason, unsafeTemplateReason } from './path-safety.js';
export {
  CONDUIT_ERROR_CODES,
  type ConduitErrorCode,
  type ConfigErrorCode,
  type OpenApiErrorCode,
  conduitCodeOf,
  assertNever,
} from './error-codes.js';
export {
  MissingDependencyError,
  requireOptional,
  importOptional,
  optionalModule,
} from './optional-dependency.js';
export { type Clock, type TimerHandle, type TimerOptions, systemClock, ManualClock } from './clock.js';
export { type CoarseClockOptions, coarseClock, coarseSystemClock } from './coarse-clock.js';
export {
  type Logger,
  type LogLevel,
  type LogRecord,
  noopLogger,
  createLogger,
  createRecordingLogger,
} from './logger.js';
export { type RefusalAnswer, refuseUpload, DRAIN_BYTES } from './refuse-upload.js';
export { encodeKeyPart, isKeyValueChar, KEY_MISSING, KEY_NULL, KEY_JSON } from './key-part.js';
export { type LogSummaryOptions, type SummarizingLogger, summarizingLogger } from './log-summary.js';
export {
  type Principal,
  type PrincipalKind,
  ANONYMOUS,
  anonymousAt,
  limitedCaller,
  OPERATOR,
  bearerPrincipal,
  samePrincipal,
  PRINCIPAL_TEMPLATE_FIELDS,
  isPrincipalHole,
  principalHoleProblem,
  principalIdPart,
  principalValue,
  PrincipalValueMissingError,
} from './principal.js';
