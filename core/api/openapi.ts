/**
 * The query API's OpenAPI 3.1 document, generated from the zod schemas of `#core/api/schemas`
 * with zod 4's `z.toJSONSchema` (JSON Schema 2020-12, OpenAPI 3.1's dialect). `GET /openapi.json`
 * serves it; API Gateway's request models are the same request schemas converted to draft 4
 * ({@link toDraft4}), so the contract has one source.
 */
import { z } from 'zod';
import {
  CatalogSummarySchema,
  CostReportSchema,
  ErrorBodySchema,
  EstimateRequestSchema,
  EstimateResponseSchema,
  PlanAcceptedSchema,
  PlanRequestSchema,
  PlanStatusSchema,
  ResultPageSchema,
  StepStatsSchema,
} from '#core/api/schemas';

/** A JSON Schema (or OpenAPI) object. */
export type JsonObject = { [key: string]: unknown };

/** The API version in the document's `info`. */
export const API_VERSION = '1.0.0';

/** Request bodies API Gateway validates: model name → schema. */
export const REQUEST_MODELS = {
  Plan: PlanRequestSchema,
  Estimate: EstimateRequestSchema,
} as const;

/**
 * A zod schema as JSON Schema 2020-12, inline (no `$defs`), describing what a client sends
 * (`io: 'input'`: defaulted fields optional, transforms ignored). The `$schema` key is dropped:
 * inside OpenAPI 3.1 the dialect is the document's.
 * @example
 * jsonSchemaOf(z.object({ sql: z.string() })); // { type: 'object', properties: { sql: { type: 'string' } }, required: ['sql'] }
 */
export function jsonSchemaOf(schema: z.ZodType): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    reused: 'inline',
    unrepresentable: 'any',
  }) as JsonObject;
  return rest;
}

const COMPONENTS = {
  PlanRequest: PlanRequestSchema,
  EstimateRequest: EstimateRequestSchema,
  PlanStatus: PlanStatusSchema,
  PlanAccepted: PlanAcceptedSchema,
  StepStats: StepStatsSchema,
  ResultPage: ResultPageSchema,
  EstimateResponse: EstimateResponseSchema,
  CatalogSummary: CatalogSummarySchema,
  CostReport: CostReportSchema,
  Error: ErrorBodySchema,
} as const;

const ref = (name: keyof typeof COMPONENTS): JsonObject => ({
  $ref: `#/components/schemas/${name}`,
});

const json = (name: keyof typeof COMPONENTS): JsonObject => ({
  content: { 'application/json': { schema: ref(name) } },
});

const error = (description: string): JsonObject => ({ description, ...json('Error') });

/** The error answers every route may give. */
const COMMON_ERRORS = {
  '403': error('Missing or invalid SigV4 signature (AWS only).'),
  '429': error('Too many requests or plans running; retry after `Retry-After` seconds.'),
  '500': error('Internal error; the message names the request id.'),
};

const BODY_ERRORS = {
  '400': error('Invalid JSON, plan or SQL; `path` says where.'),
  '413': error('Body over 1 MiB, or the scan estimate is over the limit (`estimate`).'),
  '415': error('The body is not declared `Content-Type: application/json`.'),
};

/** A `?name=N` whole-number query parameter. */
const countParameter = (name: string, description: string): JsonObject => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type: 'integer', minimum: 1 },
});

/**
 * A console route answered from the deployment's insights (`core/ports/insights.ts`); its body's
 * shape is that port's TypeScript types, not yet a schema of its own here.
 */
function insightRoute(operationId: string, summary: string, parameters: JsonObject[]): JsonObject {
  return {
    get: {
      operationId,
      summary,
      parameters,
      responses: {
        '200': {
          description: `${summary} (the shapes of core/ports/insights.ts).`,
          content: { 'application/json': { schema: { type: 'object' } } },
        },
        '400': error('A malformed query parameter.'),
        '404': error('No such table (`/tables/{name}`).'),
        '501': error('This deployment has no run history or insights (the API on AWS, for now).'),
        ...COMMON_ERRORS,
      },
    },
  };
}

let cached: JsonObject | undefined;

/**
 * The OpenAPI 3.1 document of the query API. `serverUrl` is where it is served from (the stage
 * path on API Gateway, `/` locally).
 * @example
 * openApiDocument().openapi; // '3.1.0'
 */
export function openApiDocument(serverUrl = '/'): JsonObject {
  cached ??= buildDocument();
  return { ...cached, servers: [{ url: serverUrl }] };
}

function buildDocument(): JsonObject {
  return {
    openapi: '3.1.0',
    info: documentInfo(),
    security: [{ sigv4: [] }],
    paths: {
      ...planPaths(),
      ...estimatePaths(),
      ...ledgerPaths(),
      ...insightPaths(),
      ...documentPaths(),
    },
    components: documentComponents(),
  };
}

function documentInfo(): JsonObject {
  return {
    title: 'Thermocline query API',
    version: API_VERSION,
    description:
      'Query plans across the hot database and the Parquet lake under hard scan limits, scan ' +
      'estimates, the catalog and the cost ledger. On AWS every request is SigV4-signed ' +
      '(service execute-api); locally the server on 127.0.0.1 needs no signature.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  };
}

/** `/plans` and `/plans/{id}`: running plans and reading their results. */
function planPaths(): JsonObject {
  return {
    '/plans': {
      post: {
        operationId: 'submitPlan',
        summary: 'Validate, estimate and run a plan',
        parameters: [
          {
            name: 'wait_seconds',
            in: 'query',
            required: false,
            description: 'How long to wait for the plan before answering 202 (0–25).',
            schema: { type: 'number', minimum: 0, maximum: 25 },
          },
        ],
        requestBody: { required: true, ...json('PlanRequest') },
        responses: {
          '200': { description: 'The plan ended within the wait.', ...json('PlanStatus') },
          '202': {
            description: 'The plan still runs; poll `location`.',
            headers: { Location: { schema: { type: 'string' } } },
            ...json('PlanAccepted'),
          },
          ...BODY_ERRORS,
          ...COMMON_ERRORS,
        },
      },
    },
    '/plans/{id}': {
      get: {
        operationId: 'getPlan',
        summary: "A plan's status, step statistics and a page of its result",
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          {
            name: 'page',
            in: 'query',
            required: false,
            description: "A result page token (a page's `nextPage`).",
            schema: { type: 'string' },
          },
          {
            name: 'step',
            in: 'query',
            required: false,
            description: "A step whose rows to page through (default the plan's output).",
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': { description: "The plan's state.", ...json('PlanStatus') },
          '404': error('No such plan.'),
          ...COMMON_ERRORS,
        },
      },
    },
  };
}

/** `/estimate`: what a plan or a lake statement would scan. */
function estimatePaths(): JsonObject {
  return {
    '/estimate': {
      post: {
        operationId: 'estimate',
        summary: 'Scan estimate of a lake statement or a plan, without running it',
        requestBody: { required: true, ...json('EstimateRequest') },
        responses: {
          '200': { description: 'The estimate.', ...json('EstimateResponse') },
          ...BODY_ERRORS,
          ...COMMON_ERRORS,
        },
      },
    },
  };
}

/** `/catalog` and `/costs`: what there is to query and what querying cost. */
function ledgerPaths(): JsonObject {
  return {
    '/catalog': {
      get: {
        operationId: 'catalog',
        summary: 'Lake tables, hot reference tables and S3 sources',
        responses: {
          '200': { description: 'The catalog summary.', ...json('CatalogSummary') },
          ...COMMON_ERRORS,
        },
      },
    },
    '/costs': {
      get: {
        operationId: 'costs',
        summary: 'Cost ledger totals of a month',
        parameters: [
          {
            name: 'month',
            in: 'query',
            required: false,
            description: 'YYYY-MM (default the current month, UTC).',
            schema: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' },
          },
        ],
        responses: {
          '200': { description: 'The totals.', ...json('CostReport') },
          '400': error('A malformed month.'),
          ...COMMON_ERRORS,
        },
      },
    },
  };
}

/** The console's routes, answered from the deployment's insights ({@link insightRoute}). */
function insightPaths(): JsonObject {
  return {
    '/coverage': insightRoute(
      'coverage',
      'Tables × days: exported, hot only, purged, failed, late; lag per table',
      [countParameter('days', 'Days back from today (default 120, at most 731).')],
    ),
    '/runs': insightRoute('runs', 'ETL, sync and retention runs, newest first', [
      countParameter('limit', 'How many runs (default 100, at most 10000).'),
    ]),
    '/costs/daily': insightRoute('dailyCosts', 'The cost ledger by day and caller, cache hits', [
      countParameter('days', 'Days back from today (default 30, at most 731).'),
    ]),
    '/tables': insightRoute('tables', 'The catalog: tables, partitions, sizes', []),
    '/tables/{name}': insightRoute(
      'table',
      'A table: columns with PostgreSQL and lake types, partitions with sizes',
      [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
    ),
  };
}

/** `/openapi.json`: this document. */
function documentPaths(): JsonObject {
  return {
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        responses: {
          '200': {
            description: 'The OpenAPI 3.1 document.',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          ...COMMON_ERRORS,
        },
      },
    },
  };
}

/** The component schemas (from {@link COMPONENTS}) and the SigV4 security scheme. */
function documentComponents(): JsonObject {
  const schemas = Object.fromEntries(
    Object.entries(COMPONENTS).map(([name, schema]) => [name, jsonSchemaOf(schema)]),
  );
  return {
    schemas,
    securitySchemes: {
      sigv4: {
        type: 'apiKey',
        name: 'Authorization',
        in: 'header',
        description: 'AWS Signature Version 4 (service execute-api); AWS_IAM authorization.',
      },
    },
  };
}

/**
 * A JSON Schema 2020-12 (as {@link jsonSchemaOf} writes it) rewritten as draft 4, the dialect of
 * API Gateway models: `const` → one-value `enum`; numeric `exclusiveMinimum`/`exclusiveMaximum` →
 * `minimum`/`maximum` with the boolean flag; `propertyNames: {pattern}` with
 * `additionalProperties` → `patternProperties`; `$defs` → `definitions` (and their `$ref`s);
 * keywords draft 4 does not know (`examples`, `$id`, `contentEncoding`, …) dropped.
 * Throws on a keyword it cannot express (`if`/`then`, `prefixItems`, `dependentSchemas`, …).
 * @example
 * toDraft4({ type: 'number', exclusiveMinimum: 0 });
 * // { $schema: 'http://json-schema.org/draft-04/schema#', type: 'number', minimum: 0, exclusiveMinimum: true }
 */
export function toDraft4(schema: JsonObject): JsonObject {
  return { $schema: 'http://json-schema.org/draft-04/schema#', ...convert(schema, '#') };
}

/** Keywords draft 4 validates that this converter passes through (their subschemas converted). */
const SUBSCHEMA_KEYWORDS = new Set(['items', 'additionalItems', 'not']);
const SUBSCHEMA_LIST_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf']);
const SUBSCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', 'definitions']);
const PLAIN_KEYWORDS = new Set([
  'type',
  'enum',
  'required',
  'minimum',
  'maximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'title',
  'description',
  'default',
  '$ref',
]);
/** Annotations newer than draft 4, without effect on validation: dropped. */
const DROPPED_KEYWORDS = new Set([
  '$schema',
  '$id',
  '$comment',
  'examples',
  'readOnly',
  'writeOnly',
  'deprecated',
  'contentEncoding',
  'contentMediaType',
  'id',
]);

function convert(schema: unknown, at: string): JsonObject {
  if (schema === true) return {};
  if (schema === false) return { not: {} };
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new Error(`${at}: not a JSON schema: ${JSON.stringify(schema)}`);
  }
  const source = schema as JsonObject;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(source)) {
    if (DROPPED_KEYWORDS.has(key)) continue;
    if (key === '$ref') {
      out.$ref = String(value).replace('#/$defs/', '#/definitions/');
    } else if (key === 'const') {
      out.enum = [value];
    } else if (key === 'exclusiveMinimum' || key === 'exclusiveMaximum') {
      if (typeof value === 'boolean') {
        out[key] = value;
        continue;
      }
      const bound = key === 'exclusiveMinimum' ? 'minimum' : 'maximum';
      const existing = source[bound];
      // Both given: the tighter bound wins (exclusive when it is the exclusive one or equal).
      const tighter =
        typeof existing !== 'number' ||
        (bound === 'minimum' ? (value as number) >= existing : (value as number) <= existing);
      if (tighter) {
        out[bound] = value;
        out[key] = true;
      }
    } else if ((key === 'minimum' || key === 'maximum') && typeof value === 'number') {
      const exclusive = source[key === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum'];
      const exclusiveWins =
        typeof exclusive === 'number' &&
        (key === 'minimum' ? exclusive >= value : exclusive <= value);
      if (!exclusiveWins) out[key] = value;
    } else if (key === '$defs' || SUBSCHEMA_MAP_KEYWORDS.has(key)) {
      const name = key === '$defs' ? 'definitions' : key;
      out[name] = Object.fromEntries(
        Object.entries(value as JsonObject).map(([k, v]) => [k, convert(v, `${at}/${key}/${k}`)]),
      );
    } else if (key === 'propertyNames') {
      const names = value as JsonObject;
      const { type: _type, pattern, ...other } = names;
      if (typeof pattern !== 'string' || Object.keys(other).length > 0) {
        throw new Error(`${at}/propertyNames: only {pattern} converts to draft 4`);
      }
      const values = source.additionalProperties ?? {};
      out.patternProperties = {
        ...(out.patternProperties as JsonObject | undefined),
        [pattern]: convert(values, `${at}/additionalProperties`),
      };
      out.additionalProperties = false;
    } else if (key === 'additionalProperties') {
      if (source.propertyNames !== undefined) continue;
      out.additionalProperties =
        typeof value === 'boolean' ? value : convert(value, `${at}/${key}`);
    } else if (SUBSCHEMA_KEYWORDS.has(key)) {
      out[key] = Array.isArray(value)
        ? value.map((v, i) => convert(v, `${at}/${key}/${i}`))
        : convert(value, `${at}/${key}`);
    } else if (SUBSCHEMA_LIST_KEYWORDS.has(key)) {
      out[key] = (value as unknown[]).map((v, i) => convert(v, `${at}/${key}/${i}`));
    } else if (PLAIN_KEYWORDS.has(key)) {
      out[key] = value;
    } else {
      throw new Error(`${at}: JSON Schema keyword '${key}' has no draft 4 equivalent`);
    }
  }
  return out;
}

/**
 * The API Gateway request model (draft 4) of a request body, from the same schema the OpenAPI
 * document and the service use.
 * @example
 * requestModelSchema('Plan').required; // ['steps']
 */
export function requestModelSchema(name: keyof typeof REQUEST_MODELS): JsonObject {
  return toDraft4(jsonSchemaOf(REQUEST_MODELS[name]));
}
