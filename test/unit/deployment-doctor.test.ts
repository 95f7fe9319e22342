import { AthenaClient, GetWorkGroupCommand } from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EntityNotFoundException, GetDatabaseCommand, GlueClient } from '@aws-sdk/client-glue';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { GetBucketPolicyCommand, GetPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import {
  deniesInsecureTransport,
  runDoctor,
  type DoctorCheck,
  type DoctorClients,
} from '#adapters/aws/deployment-doctor';
import { describeChecks } from '#cli/commands/doctor';
import type { EstimateResponse } from '#core/query/service-contract';

const config = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};
const cloudFormation = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const athena = mockClient(AthenaClient);
const glue = mockClient(GlueClient);
const sfn = mockClient(SFNClient);
const rdsData = mockClient(RDSDataClient);
const eventBridge = mockClient(EventBridgeClient);

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:thermocline-dev';
const OUTPUTS: Record<string, Record<string, string>> = {
  Storage: {
    LakeBucketName: 'lake-bucket',
    ResultsBucketName: 'results-bucket',
    GlueDatabaseName: 'thermocline_dev',
    WorkgroupName: 'thermocline-dev',
  },
  Database: {
    ClusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:db',
    SecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db',
  },
  Monitoring: {},
  Pipeline: { EtlStateMachineArn: `${MACHINE}-etl` },
  Query: {
    ApiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/',
    PlanStateMachineArn: `${MACHINE}-plan`,
  },
};
const TLS_ONLY = JSON.stringify({
  Statement: [
    {
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ],
});
const ESTIMATE: EstimateResponse = {
  bytes: 0,
  gb: 0,
  costUsd: 0,
  limitGb: 10,
  withinLimit: true,
  tables: [],
  warnings: [],
};
const SCHEDULES = {
  etl: { enabled: true },
  incremental_sync: { enabled: true },
  full_sync: { enabled: true },
  retention: { enabled: false },
};

/** A healthy deployment of dev. */
function healthy(): void {
  for (const [part, outputs] of Object.entries(OUTPUTS)) {
    cloudFormation.on(DescribeStacksCommand, { StackName: `Thermocline-dev-${part}` }).resolves({
      Stacks: [
        {
          StackName: `Thermocline-dev-${part}`,
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({
            OutputKey,
            OutputValue,
          })),
        },
      ],
    });
  }
  s3.on(GetBucketPolicyCommand).resolves({ Policy: TLS_ONLY });
  s3.on(GetPublicAccessBlockCommand).resolves({
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
  });
  athena.on(GetWorkGroupCommand).resolves({
    WorkGroup: {
      Name: 'thermocline-dev',
      State: 'ENABLED',
      Configuration: { EnforceWorkGroupConfiguration: true, BytesScannedCutoffPerQuery: 10e9 },
    },
  });
  glue.on(GetDatabaseCommand).resolves({ Database: { Name: 'thermocline_dev' } });
  sfn.on(DescribeStateMachineCommand).resolves({ status: 'ACTIVE' });
  rdsData.on(ExecuteStatementCommand).resolves({ records: [[{ longValue: 1 }]] });
  eventBridge.on(DescribeRuleCommand).callsFake((input: { Name: string }) => ({
    Name: input.Name,
    State: input.Name.endsWith('-retention') ? 'DISABLED' : 'ENABLED',
  }));
}

let estimate: jest.Mock<Promise<EstimateResponse>, [string, string]>;

function doctor(): Promise<DoctorCheck[]> {
  const clients: DoctorClients = {
    cloudFormation: new CloudFormationClient(config),
    s3: new S3Client(config),
    athena: new AthenaClient(config),
    glue: new GlueClient(config),
    sfn: new SFNClient(config),
    rdsData: new RDSDataClient(config),
    eventBridge: new EventBridgeClient(config),
    estimate,
  };
  return runDoctor(clients, { envName: 'dev', scanCutoffGb: 10, schedules: SCHEDULES });
}

function named(checks: DoctorCheck[], name: string): DoctorCheck {
  const found = checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check '${name}' in ${checks.map((c) => c.name).join(', ')}`);
  return found;
}

beforeEach(() => {
  estimate = jest.fn(async (_url: string, _sql: string) => ESTIMATE);
  healthy();
});

afterEach(() => {
  for (const mock of [cloudFormation, s3, athena, glue, sfn, rdsData, eventBridge]) mock.reset();
});

describe('runDoctor on a healthy deployment', () => {
  test('every check passes', async () => {
    const checks = await doctor();

    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual([
      'stack Thermocline-dev-Storage',
      'stack Thermocline-dev-Database',
      'stack Thermocline-dev-Monitoring',
      'stack Thermocline-dev-Pipeline',
      'stack Thermocline-dev-Query',
      'stack outputs',
      'bucket policy (lake)',
      'bucket policy (results)',
      'Athena workgroup',
      'Glue database',
      'state machines',
      'Data API',
      'query API estimate',
      'EventBridge schedules',
    ]);
  });

  test('the Data API round trip is the read-only SELECT 1 on the cluster with its secret', async () => {
    await doctor();

    expect(rdsData.commandCalls(ExecuteStatementCommand)[0]?.args[0].input).toEqual({
      resourceArn: OUTPUTS.Database?.ClusterArn,
      secretArn: OUTPUTS.Database?.SecretArn,
      sql: 'SELECT 1 AS ok',
    });
  });

  test('estimates through the API of the stack output', async () => {
    await doctor();

    expect(estimate).toHaveBeenCalledWith(OUTPUTS.Query?.ApiUrl, 'SELECT 1');
  });

  test('checks the four state machines, named after the ETL one', async () => {
    await doctor();

    expect(
      sfn.commandCalls(DescribeStateMachineCommand).map((c) => c.args[0].input.stateMachineArn),
    ).toEqual([`${MACHINE}-etl`, `${MACHINE}-sync`, `${MACHINE}-retention`, `${MACHINE}-plan`]);
  });
});

describe('runDoctor finds', () => {
  test('a stack that is not deployed, and says to deploy it', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'Thermocline-dev-Query' }).rejects(
      Object.assign(new Error('Stack with id Thermocline-dev-Query does not exist'), {
        name: 'ValidationError',
      }),
    );

    const checks = await doctor();

    expect(named(checks, 'stack Thermocline-dev-Query')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/does not exist/),
      fix: 'npx cdk deploy --all -c env=dev',
    });
    expect(named(checks, 'stack outputs').detail).toMatch(/ApiUrl \(Query\)/);
    expect(named(checks, 'query API estimate').detail).toMatch(
      /not checked: no stack output ApiUrl/,
    );
    expect(estimate).not.toHaveBeenCalled();
  });

  test('a stack that rolled back', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'Thermocline-dev-Pipeline' }).resolves({
      Stacks: [
        {
          StackName: 'Thermocline-dev-Pipeline',
          StackStatus: 'UPDATE_ROLLBACK_COMPLETE',
          CreationTime: new Date(),
          Outputs: [{ OutputKey: 'EtlStateMachineArn', OutputValue: `${MACHINE}-etl` }],
        },
      ],
    });

    const check = named(await doctor(), 'stack Thermocline-dev-Pipeline');

    expect(check).toMatchObject({ ok: false, detail: 'status UPDATE_ROLLBACK_COMPLETE' });
  });

  test('a bucket that takes requests without TLS', async () => {
    s3.on(GetBucketPolicyCommand, { Bucket: 'lake-bucket' }).resolves({
      Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject' }] }),
    });

    const checks = await doctor();

    expect(named(checks, 'bucket policy (lake)')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/lake-bucket: no Deny of requests without TLS/),
    });
    expect(named(checks, 'bucket policy (results)').ok).toBe(true);
  });

  test('a bucket whose public access block is partly off', async () => {
    s3.on(GetPublicAccessBlockCommand, { Bucket: 'results-bucket' }).resolves({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: true,
      },
    });

    expect(named(await doctor(), 'bucket policy (results)').detail).toMatch(/BlockPublicPolicy/);
  });

  test('a workgroup whose cutoff differs from the config and is not enforced', async () => {
    athena.on(GetWorkGroupCommand).resolves({
      WorkGroup: {
        Name: 'thermocline-dev',
        State: 'ENABLED',
        Configuration: { EnforceWorkGroupConfiguration: false, BytesScannedCutoffPerQuery: 50e9 },
      },
    });

    const check = named(await doctor(), 'Athena workgroup');

    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/not enforced/);
    expect(check.detail).toMatch(/cutoff 50 GB, configured 10 GB/);
  });

  test('a missing Glue database', async () => {
    glue.on(GetDatabaseCommand).rejects(
      new EntityNotFoundException({
        message: 'Database thermocline_dev not found',
        $metadata: {},
      }),
    );

    expect(named(await doctor(), 'Glue database')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/EntityNotFoundException: Database thermocline_dev not found/),
    });
  });

  test('a state machine that is being deleted', async () => {
    sfn
      .on(DescribeStateMachineCommand, { stateMachineArn: `${MACHINE}-sync` })
      .resolves({ status: 'DELETING' });

    expect(named(await doctor(), 'state machines').detail).toBe('thermocline-dev-sync DELETING');
  });

  test('a paused cluster: run again in 30 s', async () => {
    rdsData.on(ExecuteStatementCommand).rejects(
      Object.assign(new Error('The Aurora DB instance db is resuming after being auto-paused.'), {
        name: 'DatabaseResumingException',
      }),
    );

    expect(named(await doctor(), 'Data API').fix).toMatch(/resuming.*again in about 30 seconds/);
  });

  test('credentials that may not read: the fix says so', async () => {
    glue.on(GetDatabaseCommand).rejects(
      Object.assign(new Error('User: arn:aws:iam::123456789012:user/x is not authorized'), {
        name: 'AccessDeniedException',
      }),
    );

    expect(named(await doctor(), 'Glue database').fix).toMatch(/your credentials may not read/);
  });

  test('an API that refuses the signed request', async () => {
    estimate.mockRejectedValue(
      Object.assign(new Error('POST /estimate answered 403: Forbidden'), { name: 'ApiHttpError' }),
    );

    expect(named(await doctor(), 'query API estimate')).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/execute-api:Invoke/),
    });
  });

  test('a schedule whose state differs from the config', async () => {
    eventBridge.on(DescribeRuleCommand).resolves({ State: 'DISABLED' });

    const check = named(await doctor(), 'EventBridge schedules');

    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/thermocline-dev-etl is DISABLED, configured ENABLED/);
    expect(check.detail).not.toMatch(/retention/);
  });
});

describe('deniesInsecureTransport', () => {
  test('finds the Deny of aws:SecureTransport false', () => {
    expect(deniesInsecureTransport(TLS_ONLY)).toBe(true);
  });

  test('is false without a policy or with an Allow only', () => {
    expect(deniesInsecureTransport(undefined)).toBe(false);
    expect(deniesInsecureTransport('{"Statement":{"Effect":"Allow"}}')).toBe(false);
  });
});

describe('describeChecks', () => {
  test('prints a pass/fail table, then the fix of each failure', () => {
    const lines = describeChecks('dev', [
      { name: 'Glue database', ok: true, detail: 'thermocline_dev exists' },
      { name: 'Data API', ok: false, detail: 'BadRequestException: …', fix: 'enable the Data API' },
    ]);

    const text = lines.join('\n');
    expect(text).toMatch(/Glue database\s+PASS\s+thermocline_dev exists/);
    expect(text).toMatch(/Data API\s+FAIL\s+BadRequestException/);
    expect(lines.slice(-2)).toEqual([
      'dev: 1 of 2 checks failed. To fix:',
      '  Data API: enable the Data API',
    ]);
  });
});
