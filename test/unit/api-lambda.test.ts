import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { ApiGatewayProxyEvent, ApiGatewayProxyResult } from '#core/api/types';
import type { CostReport } from '#core/query/service-contract';

const s3Mock = mockClient(S3Client);

const ENV = {
  THERMOCLINE_CONFIG_JSON: '{}',
  THERMOCLINE_ENVIRONMENT: 'dev',
  LAKE_BUCKET: 'thermocline-lake-123456789012',
  GLUE_DATABASE: 'thermocline_dev',
  ATHENA_WORKGROUP: 'thermocline-dev',
  DATABASE_RESOURCE_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:thermocline-dev',
  DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:thermocline-AbCdEf',
  DATABASE_NAME: 'thermocline',
  PLAN_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:thermocline-plans',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
};

type LambdaModule = typeof import('#lambdas/query-api');

// The SDK clients read the region and credentials when they send, so ENV stays for the file.
const savedEnv = process.env;
process.env = { ...savedEnv, ...ENV };
afterAll(() => {
  process.env = savedEnv;
});
// Loaded (cold start) with ENV, in the test's module registry: the mocked S3Client is the handler's.
const lambda = jest.requireActual<LambdaModule>('#lambdas/query-api');

const context = {
  functionName: 'thermocline-query-api',
  awsRequestId: 'lambda-request-1',
  getRemainingTimeInMillis: () => 29_000,
} as never;

function invoke(event: ApiGatewayProxyEvent): Promise<ApiGatewayProxyResult> {
  return lambda.handler(event, context) as Promise<ApiGatewayProxyResult>;
}

afterEach(() => s3Mock.reset());

describe('queryApiSettings', () => {
  it('reads every variable, with the defaults of the optional ones', () => {
    expect(lambda.queryApiSettings(ENV)).toEqual({
      environment: 'dev',
      lakeBucket: ENV.LAKE_BUCKET,
      lakePrefix: '',
      resultsPrefix: '_query/',
      glueDatabase: ENV.GLUE_DATABASE,
      workGroup: ENV.ATHENA_WORKGROUP,
      databaseResourceArn: ENV.DATABASE_RESOURCE_ARN,
      databaseSecretArn: ENV.DATABASE_SECRET_ARN,
      databaseName: ENV.DATABASE_NAME,
      schema: 'public',
      planStateMachineArn: ENV.PLAN_STATE_MACHINE_ARN,
    });
  });

  it('names a missing variable and what sets it', () => {
    const { PLAN_STATE_MACHINE_ARN: _arn, ...env } = ENV;

    expect(() => lambda.queryApiSettings(env)).toThrow(
      /PLAN_STATE_MACHINE_ARN is not set; it is set by the Thermocline query stack/,
    );
  });

  it('refuses an environment that is not one of the four', () => {
    expect(() => lambda.queryApiSettings({ ...ENV, THERMOCLINE_ENVIRONMENT: 'qa' })).toThrow(
      "THERMOCLINE_ENVIRONMENT is 'qa'; use one of local, dev, staging, prod",
    );
  });
});

describe('handler', () => {
  it('answers an unknown route with 404 and the request id of API Gateway', async () => {
    const result = await invoke({
      httpMethod: 'GET',
      path: '/nowhere',
      requestContext: { requestId: 'apigw-1' },
    });

    expect(result.statusCode).toBe(404);
    expect(result.headers['x-request-id']).toBe('apigw-1');
  });

  it("reads GET /costs from the ledger under the lake's results prefix", async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [], IsTruncated: false });

    const result = await invoke({
      httpMethod: 'GET',
      path: '/costs',
      queryStringParameters: { month: '2025-02' },
    });

    expect(result.statusCode).toBe(200);
    expect((JSON.parse(result.body) as CostReport).queries).toBe(0);
    const listed = s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
    expect(listed).toContainEqual(
      expect.objectContaining({
        Bucket: ENV.LAKE_BUCKET,
        Prefix: expect.stringMatching(/^_query\//),
      }),
    );
  });
});
