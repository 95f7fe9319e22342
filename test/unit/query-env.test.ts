import { EnvironmentError } from '#lambdas/env';
import { querySettingsFromEnv } from '#lambdas/query-env';

const ENV = {
  THERMOCLINE_ENVIRONMENT: 'dev',
  LAKE_BUCKET: 'thermocline-lake-123456789012',
  GLUE_DATABASE: 'thermocline_dev',
  ATHENA_WORKGROUP: 'thermocline-dev',
  DATABASE_RESOURCE_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:thermocline-dev',
  DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
  DATABASE_NAME: 'thermocline',
};

describe("the query functions' environment", () => {
  it('reads every variable, with the defaults for the optional ones', () => {
    expect(querySettingsFromEnv(ENV)).toEqual({
      environment: 'dev',
      lakeBucket: ENV.LAKE_BUCKET,
      lakePrefix: '',
      resultsPrefix: '_query/',
      glueDatabase: 'thermocline_dev',
      workGroup: 'thermocline-dev',
      databaseResourceArn: ENV.DATABASE_RESOURCE_ARN,
      databaseSecretArn: ENV.DATABASE_SECRET_ARN,
      databaseName: 'thermocline',
      schema: 'public',
    });
  });

  it('needs the plan state machine only where plans are started', () => {
    expect(() => querySettingsFromEnv(ENV, { startsPlans: true })).toThrow(
      /PLAN_STATE_MACHINE_ARN is not set/,
    );
  });

  it('names a missing variable and what sets it', () => {
    const { ATHENA_WORKGROUP: _workgroup, ...without } = ENV;

    expect(() => querySettingsFromEnv(without)).toThrow(EnvironmentError);
    expect(() => querySettingsFromEnv(without)).toThrow(
      /ATHENA_WORKGROUP is not set; it is set by the Thermocline query stack/,
    );
  });

  it('refuses an unknown environment, listing the known ones', () => {
    expect(() => querySettingsFromEnv({ ...ENV, THERMOCLINE_ENVIRONMENT: 'qa' })).toThrow(
      "THERMOCLINE_ENVIRONMENT is 'qa'; use one of local, dev, staging, prod",
    );
  });

  it('refuses a results prefix that is not a folder', () => {
    expect(() => querySettingsFromEnv({ ...ENV, RESULTS_PREFIX: 'results' })).toThrow(
      /RESULTS_PREFIX is 'results'; it must be empty or a key prefix ending with '\/'/,
    );
  });
});
