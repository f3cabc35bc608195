/**
 * OpenAPI documents in, tools out. An upstream's `openapi` section (`openapiSourceSchema`) names a
 * local OpenAPI 3.0/3.1 document and selects operations; `openApiTools` turns them into tool configs of
 * the same shape as hand-written `tools[]` entries, or, in compact mode, a catalog served by two tools
 * (`searchOperations`, `resolveInvocation`).
 *
 * @example
 * ```ts
 * import { loadOpenApiDocument, openApiTools } from 'conduit-mcp/config';
 * const doc = await loadOpenApiDocument('examples/openapi/assignments.openapi.yaml');
 * const { tools } = openApiTools('assignments', { document: 'unused-here', include: { tags: ['assignments'] } }, doc);
 * ```
 */
export {
  openapiSourceSchema,
  type OpenApiSource,
  type OpenApiSourceInput,
  type OpenApiOverride,
  type OpenApiSelector,
} from './source-schema.js';
export {
  loadOpenApiDocument,
  parseOpenApiDocument,
  type OpenApiDocument,
  type ParseOpenApiOptions,
  type DocumentFile,
} from './document.js';
export { openApiTools, type OpenApiToolSet, type OpenApiToolsOptions } from './openapi-tools.js';
export type { WireHints, OperationTool } from './operation-tool.js';
export { writtenParams, type WrittenParam } from './written-params.js';
export { expandOpenApi, type ConfigWithOpenApi, type ExpandedOpenApi } from './expand.js';
export {
  searchOperations,
  resolveInvocation,
  notServedError,
  compactTools,
  DEFAULT_SEARCH_LIMIT,
  MAX_SEARCH_LIMIT,
  type OperationCatalog,
  type CatalogOperation,
  type CompactToolDefinitions,
  type MetaToolDefinition,
  type OperationMatch,
  type ArgumentValidator,
} from './catalog.js';
export {
  OpenApiError,
  OpenApiRefError,
  OpenApiProblems,
  UnknownOperationError,
  InvalidOperationArgumentsError,
  OperationSchemaError,
  type OpenApiErrorCode,
} from './errors.js';
export { sanitizeToolName, generatedName, capName, MAX_GENERATED_NAME } from './tool-name.js';
export { LoadBudget, DEFAULT_DOCUMENT_LIMITS, type DocumentLimits } from './budget.js';
export type { LoadOpenApiOptions } from './document.js';
export { cacheTags, invalidationTags, resourceLevels, singular } from './resource-tags.js';
