import { GlueClient } from '@aws-sdk/client-glue';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { S3Client } from '@aws-sdk/client-s3';
import type { SyncPlan } from '#etl/sync/plan';
import { awsSyncDeps } from '#runtime/aws/sync-runtime';

type SyncLambda = typeof import('#lambdas/sync');

const ENV = {
  THERMOCLINE_CONFIG_JSON: JSON.stringify({
    use_sample_defaults: false,
    mappings: [
      {
        table: 'members',
        entity_type: 'Member',
        key_column: 'member_code',
        properties: [{ column: 'account_status', property: 'status' }],
        sync_mode: 'incremental',
      },
    ],
  }),
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  DATABASE_RESOURCE_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:thermocline-prod',
  DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:thermocline-db-AbCdEf',
  DATABASE_NAME: 'thermocline',
  LAKE_BUCKET: 'thermocline-lake-123456789012',
  GLUE_DATABASE: 'thermocline_prod',
  AWS_REGION: 'eu-west-1',
};

/** The handler module, loaded with `env` as its cold-start environment. */
function load(env: Record<string, string>): SyncLambda {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let module: SyncLambda | undefined;
    jest.isolateModules(() => {
      module = jest.requireActual<SyncLambda>('#lambdas/sync');
    });
    return module as SyncLambda;
  } finally {
    process.env = saved;
  }
}

describe('the sync Lambda', () => {
  const lambda = load(ENV);

  it('reads its environment, giving DuckDB 60 % of the memory', () => {
    expect(lambda.syncEnvironment(ENV)).toEqual({
      databaseResourceArn: ENV.DATABASE_RESOURCE_ARN,
      databaseSecretArn: ENV.DATABASE_SECRET_ARN,
      databaseName: 'thermocline',
      schema: 'public',
      bucket: ENV.LAKE_BUCKET,
      prefix: '',
      glueDatabase: 'thermocline_prod',
      duckDbMemoryLimit: '614MB',
    });
  });

  it('names a missing variable and what sets it', () => {
    const { DATABASE_RESOURCE_ARN: _missing, ...env } = ENV;

    expect(() => lambda.syncEnvironment(env)).toThrow(
      /environment variable DATABASE_RESOURCE_ARN is not set; it is set by the Thermocline Pipeline stack/,
    );
  });

  it('plans the mappings of its configuration', async () => {
    const plan = (await lambda.planHandler({ mode: 'incremental' }, {} as never)) as SyncPlan;

    expect(plan).toEqual({ items: [{ table: 'members', mode: 'incremental' }], skipped: [] });
  });

  it('reads Aurora through the Data API and writes the S3 lake and the Glue catalog', async () => {
    const clients = {
      rdsData: new RDSDataClient({ region: 'eu-west-1' }),
      s3: new S3Client({ region: 'eu-west-1' }),
      glue: new GlueClient({ region: 'eu-west-1' }),
    };

    const deps = await awsSyncDeps(lambda.syncEnvironment(ENV), clients, []);

    try {
      // The module was loaded in its own registry: compare classes by name.
      expect(deps.db.constructor.name).toBe('RdsDataDatabase');
      expect(deps.db.schema).toBe('public');
      expect(deps.store.constructor.name).toBe('S3ObjectStore');
      expect(deps.catalog.description).toBe('glue:thermocline_prod');
      expect(typeof deps.encoder.rewrite).toBe('function');
    } finally {
      await deps.encoder.close();
    }
  });
});
