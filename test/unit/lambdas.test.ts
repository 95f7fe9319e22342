import { S3Client } from '@aws-sdk/client-s3';
import { GlueClient } from '@aws-sdk/client-glue';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { pgConnectionFromSecret, readDatabaseSecret } from '#adapters/aws/database-secret';
import { GlueCatalog } from '#adapters/aws/glue-catalog';
import { S3ObjectStore } from '#adapters/aws/s3-object-store';
import { requiredEnv } from '#lambdas/env';
import { awsExportDeps } from '#runtime/aws/export-runtime';

const secretsMock = mockClient(SecretsManagerClient);
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const secrets = new SecretsManagerClient({ region: 'eu-west-1', credentials });
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:thermocline-db-AbCdEf';
const PASSWORD = 'pa55-w0rd-never-shown';
const SECRET = {
  engine: 'postgres',
  host: 'thermocline.cluster-abc.eu-west-1.rds.amazonaws.com',
  port: 5432,
  dbname: 'thermocline',
  username: 'etl',
  password: PASSWORD,
};

beforeEach(() => secretsMock.reset());

describe('pgConnectionFromSecret', () => {
  it('maps every key of an RDS secret and turns on verified TLS', () => {
    // Prepare
    const text = JSON.stringify(SECRET);

    // Act
    const connection = pgConnectionFromSecret(text);

    // Assess
    expect(connection).toEqual({
      host: SECRET.host,
      port: 5432,
      database: 'thermocline',
      user: 'etl',
      password: PASSWORD,
      ssl: { rejectUnauthorized: true },
    });
  });

  it('names the missing key and the secret, never the password', () => {
    // Prepare
    const { dbname: _dbname, ...withoutDbname } = SECRET;

    // Act
    const act = () =>
      pgConnectionFromSecret(JSON.stringify(withoutDbname), { source: `secret ${SECRET_ARN}` });

    // Assess
    expect(act).toThrow(`secret ${SECRET_ARN} has no 'dbname'`);
    expect(act).not.toThrow(PASSWORD);
  });
});

describe('readDatabaseSecret', () => {
  it('returns the SecretString of the ARN', async () => {
    // Prepare
    secretsMock
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolves({ SecretString: JSON.stringify(SECRET) });

    // Act
    const text = await readDatabaseSecret(secrets, SECRET_ARN);

    // Assess
    expect(JSON.parse(text)).toEqual(SECRET);
  });

  it('names the ARN when the secret has no SecretString', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });

    // Act
    const read = readDatabaseSecret(secrets, SECRET_ARN);

    // Assess
    await expect(read).rejects.toThrow(`secret ${SECRET_ARN} has no SecretString`);
  });
});

describe('requiredEnv', () => {
  it('names the missing variable and the stack that sets it', () => {
    // Prepare
    const env = { OTHER: 'x' };

    // Act
    const act = () => requiredEnv(env, 'LAKE_BUCKET');

    // Assess
    expect(act).toThrow(
      /environment variable LAKE_BUCKET is not set; it is set by the Thermocline Pipeline stack/,
    );
  });
});

describe('etl-plan handler', () => {
  /** The plan module loaded with the given variables (then restored). */
  function loadPlan(variables: Record<string, string>): typeof import('../../lambdas/etl-plan') {
    const saved = Object.fromEntries(Object.keys(variables).map((k) => [k, process.env[k]]));
    Object.assign(process.env, variables);
    let plan: typeof import('../../lambdas/etl-plan') | undefined;
    try {
      jest.isolateModules(() => {
        plan =
          jest.requireActual<typeof import('../../lambdas/etl-plan')>('../../lambdas/etl-plan');
      });
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    return plan!;
  }

  it('plans the given table and day with the environment’s concurrency', async () => {
    // Prepare
    const plan = loadPlan({
      THERMOCLINE_CONFIG_JSON: JSON.stringify({ environments: { prod: { etl_concurrency: 8 } } }),
      THERMOCLINE_ENVIRONMENT: 'prod',
    });

    // Act
    const output = await plan.handler({ date: '2025-02-15', table: 'events' }, context());

    // Assess
    expect(output).toEqual({
      items: [{ table: 'events', day: '2025-02-15' }],
      concurrency: 8,
      recheck: [], // a given day: no changed-days pass
    });
  });

  it('fails its cold start naming THERMOCLINE_ENVIRONMENT when it is not an environment', () => {
    expect(() =>
      loadPlan({ THERMOCLINE_CONFIG_JSON: '{}', THERMOCLINE_ENVIRONMENT: 'qa' }),
    ).toThrow("THERMOCLINE_ENVIRONMENT is 'qa'; use one of local, dev, staging, prod");
  });
});

describe('awsExportDeps', () => {
  it('binds the S3 lake and the Glue catalog without connecting to the database', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(SECRET) });
    const { exportEnvironment } = loadExportModule();
    const env = exportEnvironment({
      DATABASE_SECRET_ARN: SECRET_ARN,
      LAKE_BUCKET: 'thermocline-lake',
      LAKE_PREFIX: 'lake/',
      GLUE_DATABASE: 'thermocline_lake',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '2048',
      AWS_LAMBDA_FUNCTION_NAME: 'thermocline-prod-export',
      AWS_LAMBDA_LOG_STREAM_NAME: '2025/02/16/[$LATEST]1a2b3c',
    });
    const clients = {
      s3: new S3Client({ region: 'eu-west-1', credentials }),
      glue: new GlueClient({ region: 'eu-west-1', credentials }),
      secrets,
    };

    // Act
    const deps = await awsExportDeps(env, clients);

    // Assess
    try {
      expect(deps.store).toBeInstanceOf(S3ObjectStore);
      expect((deps.store as S3ObjectStore).root).toBe('s3://thermocline-lake/lake/');
      expect(deps.catalog).toBeInstanceOf(GlueCatalog);
      expect((deps.catalog as GlueCatalog).description).toBe('glue:thermocline_lake');
      expect(deps.db.target.url).toBe(
        'postgres://etl@thermocline.cluster-abc.eu-west-1.rds.amazonaws.com:5432/thermocline',
      );
      expect(deps.db.schema).toBe('public');
      expect(env.duckDbMemoryLimit).toBe('1228MB');
      // Named in the table-day leases it takes, so a waiting run can point at its logs.
      expect(deps.processInfo?.name).toBe(
        'Lambda thermocline-prod-export, log stream 2025/02/16/[$LATEST]1a2b3c',
      );
    } finally {
      await deps.encoder.close();
      await deps.db.close();
    }
  });
});

describe('etl-export handler', () => {
  it('runs the changed-days check when told to (action findChangedDays)', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(SECRET) });
    const { handler } = loadExportModule();

    // Nothing to compare: no query reaches the database.
    const output = await handler(
      { action: 'findChangedDays', recheck: [], exported: [] },
      context() as never,
    );

    expect(output).toEqual({ items: [], changed: [], checked: 0 });
  });

  it('refuses an action it does not know, naming it', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(SECRET) });
    const { handler } = loadExportModule();

    await expect(
      handler({ action: 'purge', recheck: [], exported: [] } as never, context() as never),
    ).rejects.toThrow('unknown action "purge"; expected one of findChangedDays, exportChunk');
  });
});

/** A Lambda context with what middy reads. */
function context(): Parameters<typeof import('../../lambdas/etl-plan').handler>[1] {
  return { getRemainingTimeInMillis: () => 60_000 } as never;
}

/** The export module, loaded with the environment its module scope reads. */
function loadExportModule(): typeof import('../../lambdas/etl-export') {
  const saved = { ...process.env };
  Object.assign(process.env, {
    THERMOCLINE_CONFIG_JSON: '{}',
    DATABASE_SECRET_ARN: SECRET_ARN,
    LAKE_BUCKET: 'thermocline-lake',
    GLUE_DATABASE: 'thermocline_lake',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_REGION: 'eu-west-1',
  });
  try {
    // Not isolated: the module must share the test's SDK and adapter classes (mock, instanceof).
    return jest.requireActual<typeof import('../../lambdas/etl-export')>(
      '../../lambdas/etl-export',
    );
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}
