import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { GlueCatalog } from '#adapters/aws/glue-catalog';
import { S3ObjectStore } from '#adapters/aws/s3-object-store';
import { defaultConfig } from '#core/config/resolve';
import { awsRetentionDeps } from '#runtime/aws/retention-runtime';

type RetentionModule = typeof import('#lambdas/retention');

const secretsMock = mockClient(SecretsManagerClient);
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:thermocline-db-AbCdEf';
const SECRET = {
  engine: 'postgres',
  host: 'thermocline.cluster-abc.eu-west-1.rds.amazonaws.com',
  port: 5432,
  dbname: 'thermocline',
  username: 'retention',
  password: 'never-shown',
};

afterEach(() => secretsMock.reset());

/** The module, loaded with only THERMOCLINE_CONFIG_JSON set (what the plan function gets). */
function load(): RetentionModule {
  const saved = { ...process.env };
  Object.assign(process.env, { THERMOCLINE_CONFIG_JSON: '{}', AWS_REGION: 'eu-west-1' });
  try {
    // Not isolated: the module must share the test's SDK and adapter classes (mock, instanceof).
    return jest.requireActual<RetentionModule>('#lambdas/retention');
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/** A Lambda context with what the handlers read. */
function context(remainingMs = 900_000): never {
  return { getRemainingTimeInMillis: () => remainingMs } as never;
}

describe('retention planHandler', () => {
  it('plans the given tables without any variable but the config', async () => {
    const { planHandler } = load();

    const output = await planHandler({ dryRun: true, tables: ['events'] }, context());

    expect(output).toEqual({ dryRun: true, items: [{ table: 'events', dryRun: true }] });
  });

  it('plans every configured table for the schedule input {}', async () => {
    const { planHandler } = load();

    const output = await planHandler({}, context());

    expect(output.items.map((i) => i.table)).toEqual(defaultConfig().tables.map((t) => t.name));
  });
});

describe('retentionEnvironment', () => {
  it('names a missing variable and what sets it', () => {
    const { retentionEnvironment } = load();

    expect(() =>
      retentionEnvironment({ DATABASE_SECRET_ARN: SECRET_ARN, GLUE_DATABASE: 'thermocline_dev' }),
    ).toThrow(
      /environment variable LAKE_BUCKET is not set; it is set by the Thermocline Pipeline stack/,
    );
  });
});

describe('awsRetentionDeps', () => {
  it('binds the S3 lake and the Glue catalog without connecting to the database', async () => {
    secretsMock
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolves({ SecretString: JSON.stringify(SECRET) });
    const { retentionEnvironment } = load();
    const env = retentionEnvironment({
      DATABASE_SECRET_ARN: SECRET_ARN,
      LAKE_BUCKET: 'thermocline-lake',
      LAKE_PREFIX: 'lake/',
      GLUE_DATABASE: 'thermocline_lake',
      THERMOCLINE_SCHEMA: 'hot',
    });
    const clients = {
      s3: new S3Client({ region: 'eu-west-1', credentials }),
      glue: new GlueClient({ region: 'eu-west-1', credentials }),
      secrets: new SecretsManagerClient({ region: 'eu-west-1', credentials }),
    };

    const deps = await awsRetentionDeps(env, clients, defaultConfig());

    try {
      expect((deps.store as S3ObjectStore).root).toBe('s3://thermocline-lake/lake/');
      expect(deps.catalog).toBeInstanceOf(GlueCatalog);
      expect(deps.db.target.url).toBe(
        'postgres://retention@thermocline.cluster-abc.eu-west-1.rds.amazonaws.com:5432/thermocline',
      );
      expect(deps.db.schema).toBe('hot');
    } finally {
      await deps.db.close();
    }
  });
});

describe('purgeDeadline', () => {
  it('keeps a fifth of a long invocation back (at least a minute)', () => {
    const { purgeDeadline } = load();

    expect(purgeDeadline(900_000, 1_000)).toBe(1_000 + 720_000);
  });

  it('keeps a minute back from a short invocation, and never goes before now', () => {
    const { purgeDeadline } = load();

    expect(purgeDeadline(200_000, 0)).toBe(140_000);
    expect(purgeDeadline(30_000, 5)).toBe(5);
  });
});
