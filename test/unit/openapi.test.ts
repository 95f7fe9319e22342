import { z } from 'zod';
import { seedPlan } from '#core/api/examples';
import { API_ROUTES } from '#core/api/handler';
import {
  jsonSchemaOf,
  openApiDocument,
  requestModelSchema,
  toDraft4,
  type JsonObject,
} from '#core/api/openapi';
import { EstimateRequestSchema, PlanRequestSchema } from '#core/api/schemas';

const DRAFT4 = 'http://json-schema.org/draft-04/schema#';

describe('toDraft4', () => {
  test('states the draft 4 dialect', () => {
    expect(toDraft4({ type: 'string' })).toEqual({ $schema: DRAFT4, type: 'string' });
  });

  test('turns const into a one-value enum', () => {
    expect(toDraft4({ type: 'string', const: 'AthenaQuery' })).toEqual({
      $schema: DRAFT4,
      type: 'string',
      enum: ['AthenaQuery'],
    });
  });

  test('turns numeric exclusive bounds into draft 4 boolean flags', () => {
    expect(toDraft4({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 10 })).toEqual({
      $schema: DRAFT4,
      type: 'number',
      minimum: 0,
      exclusiveMinimum: true,
      maximum: 10,
      exclusiveMaximum: true,
    });
  });

  test('keeps the tighter bound when inclusive and exclusive bounds are both given', () => {
    expect(toDraft4({ minimum: 5, exclusiveMinimum: 0 })).toEqual({ $schema: DRAFT4, minimum: 5 });
    expect(toDraft4({ minimum: 0, exclusiveMinimum: 5 })).toEqual({
      $schema: DRAFT4,
      minimum: 5,
      exclusiveMinimum: true,
    });
  });

  test('turns propertyNames with a pattern into patternProperties', () => {
    expect(
      toDraft4({
        type: 'object',
        propertyNames: { type: 'string', pattern: '^\\$[1-9]$' },
        additionalProperties: { const: 1 },
      }),
    ).toEqual({
      $schema: DRAFT4,
      type: 'object',
      patternProperties: { '^\\$[1-9]$': { enum: [1] } },
      additionalProperties: false,
    });
  });

  test('renames $defs to definitions and rewrites their references', () => {
    expect(toDraft4({ $defs: { A: { type: 'string' } }, items: { $ref: '#/$defs/A' } })).toEqual({
      $schema: DRAFT4,
      definitions: { A: { type: 'string' } },
      items: { $ref: '#/definitions/A' },
    });
  });

  test('converts nested subschemas of anyOf, oneOf, items and properties', () => {
    expect(
      toDraft4({
        anyOf: [{ properties: { a: { const: 'x' } } }],
        oneOf: [{ items: { const: 2 } }],
      }),
    ).toEqual({
      $schema: DRAFT4,
      anyOf: [{ properties: { a: { enum: ['x'] } } }],
      oneOf: [{ items: { enum: [2] } }],
    });
  });

  test('drops annotations draft 4 does not know', () => {
    expect(toDraft4({ type: 'string', examples: ['a'], $id: 'x', deprecated: true })).toEqual({
      $schema: DRAFT4,
      type: 'string',
    });
  });

  test('refuses keywords it cannot express, naming where', () => {
    expect(() => toDraft4({ properties: { a: { prefixItems: [] } } })).toThrow(
      /#\/properties\/a: JSON Schema keyword 'prefixItems' has no draft 4 equivalent/,
    );
  });

  test('converts every schema zod writes for the request bodies', () => {
    for (const schema of [PlanRequestSchema, EstimateRequestSchema]) {
      const draft4 = JSON.stringify(toDraft4(jsonSchemaOf(schema)));
      expect(draft4).not.toMatch(/"const"|"propertyNames"|"\$defs"|"exclusiveMinimum":\d/);
    }
  });
});

describe('jsonSchemaOf', () => {
  test('describes the input: defaulted fields are optional, strict objects closed', () => {
    const schema = jsonSchemaOf(
      z.strictObject({ sql: z.string(), limit: z.number().int().default(5) }),
    );
    expect(schema).toMatchObject({ required: ['sql'], additionalProperties: false });
    expect(schema).not.toHaveProperty('$schema');
  });
});

describe('the API Gateway request models', () => {
  test('the Plan model is the plan schema: steps required, 1 to 20 of the four step types', () => {
    const model = requestModelSchema('Plan');
    expect(model).toMatchObject({
      $schema: DRAFT4,
      type: 'object',
      required: ['steps'],
      properties: { steps: { minItems: 1, maxItems: 20 } },
    });
    const steps = (model.properties as { steps: { items: { oneOf: JsonObject[] } } }).steps;
    expect(
      steps.items.oneOf.map((s) => (s.properties as { type: { enum: string[] } }).type.enum[0]),
    ).toEqual(['AthenaQuery', 'AuroraQuery', 'S3ParquetRead', 'TableRange']);
  });

  test('the Estimate model takes {sql} or {plan}', () => {
    const model = requestModelSchema('Estimate');
    expect((model.anyOf as JsonObject[]).map((branch) => branch.required)).toEqual([
      ['sql'],
      ['plan'],
    ]);
  });

  test('the seed plan is valid under the schema the models come from', () => {
    expect(PlanRequestSchema.safeParse(seedPlan('2025-02-01', '2025-02-14')).success).toBe(true);
  });
});

describe('the OpenAPI document', () => {
  const document = openApiDocument();

  test('is OpenAPI 3.1', () => {
    expect(document.openapi).toBe('3.1.0');
  });

  test('describes every route the handler answers', () => {
    const paths = document.paths as Record<string, Record<string, unknown>>;
    const described = Object.entries(paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(described.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.resource}`).sort());
  });

  test('every $ref points at a component it defines', () => {
    const schemas = (document.components as { schemas: Record<string, unknown> }).schemas;
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)];
    expect(refs.length).toBeGreaterThan(0);
    for (const [, name] of refs) expect(schemas).toHaveProperty(name as string);
  });

  test('names the server it is served from', () => {
    expect(openApiDocument('/v1').servers).toEqual([{ url: '/v1' }]);
  });
});
