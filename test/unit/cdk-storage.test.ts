import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { resolveConfig } from '#core/config/resolve';
import { scanCutoffBytes } from '#core/query/step-checks';
import { DataLake } from '#lib/constructs/data-lake';
import type { StorageStack } from '#lib/storage-stack';
import { addThermoclineStacks } from '#lib/thermocline-app';
import {
  cdkTestKit,
  ENVS,
  grantFixture,
  logicalId,
  nagViolations,
  policyStatements,
  stackViews,
  type StackView,
  stackPerEnvironmentTests,
} from '#test/support/cdk';

// Each environment is synthesized once, with the cdk-nag checks, and shared by the tests below.
const kit = cdkTestKit('storage');
afterAll(kit.cleanup);
const newApp = kit.newApp;

type Synthesized = StackView;
const { synthesize, synth } = stackViews(kit, 'storage');

/** Dev with the lake and Athena settings overridden in the config file. */
const OVERRIDES = {
  environments: {
    dev: {
      scan_cutoff_gb: 2.5,
      lifecycle: {
        glacier_after_days: 30,
        archive_storage_class: 'glacier_flexible_retrieval',
        deep_archive_after_days: 180,
        expire_after_days: null,
      },
      replication_bucket: 'thermocline-dev-replica',
      schedules: { crawler: { enabled: true } },
    },
  },
};
let overridden: Synthesized | undefined;
function synthOverridden(): Synthesized {
  overridden ??= synthesize('dev', OVERRIDES);
  return overridden;
}

/** The storage stack's buckets' logical IDs. */
function bucketIds(storage: StorageStack): Record<'lake' | 'results' | 'accessLogs', string> {
  return {
    lake: logicalId(storage.lakeBucket),
    results: logicalId(storage.resultsBucket),
    accessLogs: logicalId(storage.accessLogsBucket),
  };
}

/** Logical IDs of the resources of `type` whose properties match `properties`, sorted. */
function idsWith(template: Template, type: string, properties: unknown): string[] {
  return Object.keys(template.findResources(type, { Properties: properties })).sort();
}

function lifecycleRule(id: string, rule: Record<string, unknown>): Record<string, unknown> {
  return {
    LifecycleConfiguration: {
      Rules: Match.arrayWith([Match.objectLike({ Id: id, Status: 'Enabled', ...rule })]),
    },
  };
}

const BUCKETS = ['lake', 'results', 'accessLogs'] as const;

describe('storage stack security', () => {
  test('every bucket is encrypted with S3-managed keys', () => {
    const { storage, template } = synth('dev');
    const encrypted = idsWith(template, 'AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
    });
    expect(encrypted).toEqual(Object.values(bucketIds(storage)).sort());
  });

  test('every bucket blocks all public access', () => {
    const { storage, template } = synth('dev');
    const blocked = idsWith(template, 'AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(blocked).toEqual(Object.values(bucketIds(storage)).sort());
  });

  test('only the lake bucket is versioned', () => {
    const { storage, template } = synth('dev');
    const versioned = idsWith(template, 'AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(versioned).toEqual([bucketIds(storage).lake]);
  });

  test.each(BUCKETS)('the %s bucket denies requests without TLS', (bucket) => {
    const { storage, template } = synth('dev');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketIds(storage)[bucket] },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test.each(BUCKETS)('the %s bucket denies TLS versions below 1.2', (bucket) => {
    const { storage, template } = synth('dev');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketIds(storage)[bucket] },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      },
    });
  });

  test('the lake bucket sends server access logs to the access-log bucket under lake/', () => {
    const { storage, template } = synth('dev');
    const ids = bucketIds(storage);
    const logging = idsWith(template, 'AWS::S3::Bucket', {
      LoggingConfiguration: {
        DestinationBucketName: { Ref: ids.accessLogs },
        LogFilePrefix: 'lake/',
      },
    });
    expect(logging).toEqual([ids.lake]);
  });

  test('the results bucket sends server access logs to the access-log bucket under athena-results/', () => {
    const { storage, template } = synth('dev');
    const ids = bucketIds(storage);
    const logging = idsWith(template, 'AWS::S3::Bucket', {
      LoggingConfiguration: {
        DestinationBucketName: { Ref: ids.accessLogs },
        LogFilePrefix: 'athena-results/',
      },
    });
    expect(logging).toEqual([ids.results]);
  });

  test('the access-log bucket lets only the S3 logging service of this account write logs', () => {
    const { storage, template } = synth('dev');
    const ids = bucketIds(storage);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.accessLogs },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:PutObject',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Condition: Match.objectLike({
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [ids.lake, 'Arn'] } },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            }),
          }),
        ]),
      },
    });
  });

  test('every bucket is owner-enforced (ACLs disabled)', () => {
    const { storage, template } = synth('dev');
    const enforced = idsWith(template, 'AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(enforced).toEqual(Object.values(bucketIds(storage)).sort());
  });
});

describe('lake lifecycle from the config', () => {
  test('lake objects move to Glacier Instant Retrieval (still read by Athena) after 90 days by default', () => {
    synth('dev').template.hasResourceProperties(
      'AWS::S3::Bucket',
      lifecycleRule('TierByAge', {
        Transitions: Match.arrayWith([{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }]),
      }),
    );
  });

  test('lake objects move to Deep Archive after deep_archive_after_days (365 by default)', () => {
    synth('dev').template.hasResourceProperties(
      'AWS::S3::Bucket',
      lifecycleRule('TierByAge', {
        Transitions: Match.arrayWith([{ StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 365 }]),
      }),
    );
  });

  test('lake objects expire after expire_after_days (730 by default)', () => {
    synth('dev').template.hasResourceProperties(
      'AWS::S3::Bucket',
      lifecycleRule('TierByAge', { ExpirationInDays: 730 }),
    );
  });

  test('noncurrent lake object versions expire after 30 days', () => {
    synth('dev').template.hasResourceProperties(
      'AWS::S3::Bucket',
      lifecycleRule('ExpireNoncurrentVersions', {
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      }),
    );
  });

  test('incomplete multipart uploads to the lake are aborted after 1 day', () => {
    const { storage, template } = synth('dev');
    const aborting = idsWith(
      template,
      'AWS::S3::Bucket',
      lifecycleRule('AbortIncompleteUploads', {
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      }),
    );
    expect(aborting).toContain(bucketIds(storage).lake);
  });

  test('overridden glacier_after_days and archive_storage_class glacier_flexible_retrieval are used', () => {
    synthOverridden().template.hasResourceProperties(
      'AWS::S3::Bucket',
      lifecycleRule('TierByAge', {
        Transitions: Match.arrayWith([{ StorageClass: 'GLACIER', TransitionInDays: 30 }]),
      }),
    );
  });

  test('overridden deep_archive_after_days is used', () => {
    synthOverridden().template.hasResourceProperties(
      'AWS::S3::Bucket',
      lifecycleRule('TierByAge', {
        Transitions: Match.arrayWith([{ StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 180 }]),
      }),
    );
  });

  test('expire_after_days null keeps lake objects forever', () => {
    synthOverridden().template.hasResourceProperties(
      'AWS::S3::Bucket',
      lifecycleRule('TierByAge', { ExpirationInDays: Match.absent() }),
    );
  });

  test('lake lifecycle days out of order are rejected', () => {
    const stack = new Stack(new App(), 'Lake');
    const logs = new s3.Bucket(stack, 'Logs');
    expect(
      () =>
        new DataLake(stack, 'Lake', {
          databaseName: 'lake',
          serverAccessLogsBucket: logs,
          glacierAfterDays: 200,
          deepArchiveAfterDays: 100,
        }),
    ).toThrow(/deepArchiveAfterDays \(100\) must be greater than glacierAfterDays \(200\)/);
  });
});

describe('lake replication', () => {
  test('is off by default', () => {
    const { storage, template } = synth('dev');
    const lake = template.toJSON().Resources[bucketIds(storage).lake];
    expect(lake.Properties.ReplicationConfiguration).toBeUndefined();
  });

  test('replication_bucket replicates every lake object and delete marker to that bucket', () => {
    synthOverridden().template.hasResourceProperties('AWS::S3::Bucket', {
      ReplicationConfiguration: {
        Role: Match.anyValue(),
        Rules: [
          Match.objectLike({
            Id: 'ReplicateLake',
            Status: 'Enabled',
            Destination: Match.objectLike({
              Bucket: { 'Fn::Join': ['', Match.arrayWith([':s3:::thermocline-dev-replica'])] },
            }),
            DeleteMarkerReplication: { Status: 'Enabled' },
          }),
        ],
      },
    });
  });
});

describe('schema crawler', () => {
  test('audits the configured tables of the Glue database through catalog targets', () => {
    synth('dev').template.hasResourceProperties('AWS::Glue::Crawler', {
      Name: 'thermocline-dev-schema',
      DatabaseName: 'thermocline_dev',
      Targets: {
        CatalogTargets: [
          {
            DatabaseName: 'thermocline_dev',
            Tables: [
              'workflows',
              'agent_tasks',
              'agent_metrics',
              'agent_interactions',
              'user_sessions',
              'events',
            ],
          },
        ],
      },
    });
  });

  test('logs schema changes and deletions instead of applying them', () => {
    synth('dev').template.hasResourceProperties('AWS::Glue::Crawler', {
      SchemaChangePolicy: { UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' },
    });
  });

  test('keeps one schema per path: partitions inherit the table schema, compatible schemas combine', () => {
    const crawler = Object.values(synth('dev').template.findResources('AWS::Glue::Crawler'))[0] as {
      Properties: { Configuration: string };
    };
    expect(JSON.parse(crawler.Properties.Configuration)).toEqual({
      Version: 1,
      CrawlerOutput: { Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
      Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas' },
    });
  });

  test('has no schedule by default (schedules.crawler is off)', () => {
    synth('dev').template.hasResourceProperties('AWS::Glue::Crawler', {
      Schedule: Match.absent(),
    });
  });

  test('runs daily after the ETL when schedules.crawler is enabled', () => {
    synthOverridden().template.hasResourceProperties('AWS::Glue::Crawler', {
      Schedule: { ScheduleExpression: 'cron(0 5 * * ? *)' },
    });
  });

  test('encrypts its logs with a rotated KMS key through a security configuration', () => {
    const { template } = synth('dev');
    template.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      EncryptionConfiguration: Match.objectLike({
        CloudWatchEncryption: { CloudWatchEncryptionMode: 'SSE-KMS', KmsKeyArn: Match.anyValue() },
      }),
    });
    template.hasResourceProperties('AWS::Glue::Crawler', {
      CrawlerSecurityConfiguration: 'thermocline-dev-schema-security',
    });
  });
});

describe('Athena results bucket', () => {
  test('query results expire after 7 days', () => {
    const { storage, template } = synth('dev');
    const expiring = idsWith(
      template,
      'AWS::S3::Bucket',
      lifecycleRule('ExpireResults', { ExpirationInDays: 7 }),
    );
    expect(expiring).toEqual([bucketIds(storage).results]);
  });

  test('incomplete multipart uploads of results are aborted after 1 day', () => {
    const { storage, template } = synth('dev');
    const aborting = idsWith(
      template,
      'AWS::S3::Bucket',
      lifecycleRule('AbortIncompleteUploads', {
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      }),
    );
    expect(aborting).toContain(bucketIds(storage).results);
  });

  test('access logs expire after 365 days', () => {
    const { storage, template } = synth('dev');
    const expiring = idsWith(
      template,
      'AWS::S3::Bucket',
      lifecycleRule('ExpireAccessLogs', { ExpirationInDays: 365 }),
    );
    expect(expiring).toEqual([bucketIds(storage).accessLogs]);
  });
});

describe('Athena workgroup', () => {
  test('is named thermocline-<env>', () => {
    synth('dev').template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'thermocline-dev',
    });
  });

  test('cuts queries off at scan_cutoff_gb GB (10 by default = 10^10 bytes)', () => {
    synth('dev').template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 10_000_000_000 }),
    });
  });

  test('uses an overridden scan_cutoff_gb (2.5 GB = 2500000000 bytes)', () => {
    synthOverridden().template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 2_500_000_000 }),
    });
  });

  // One unit on both sides (issue 11): the cutoff Athena enforces is the limit the query guard
  // checks estimates against, to the byte, in every environment.
  test.each(ENVS)('in %s, cuts off at exactly the guard’s scan limit in bytes', (env) => {
    const cutoff = (template: Template): unknown =>
      Object.values(template.findResources('AWS::Athena::WorkGroup'))[0]?.Properties
        ?.WorkGroupConfiguration?.BytesScannedCutoffPerQuery;
    const defaults = resolveConfig({}, 'defaults');
    const overridden = resolveConfig(OVERRIDES, 'test');

    expect(cutoff(synth(env).template)).toBe(
      scanCutoffBytes({ config: defaults, environment: env }),
    );
    if (env === 'dev') {
      expect(cutoff(synthOverridden().template)).toBe(
        scanCutoffBytes({ config: overridden, environment: 'dev' }),
      );
    }
  });

  test('runs engine version 3', () => {
    synth('dev').template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
      }),
    });
  });

  test('enforces its configuration on every query', () => {
    synth('dev').template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ EnforceWorkGroupConfiguration: true }),
    });
  });

  test('publishes CloudWatch metrics', () => {
    synth('dev').template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ PublishCloudWatchMetricsEnabled: true }),
    });
  });

  test('writes SSE-S3-encrypted results to s3://<results bucket>/athena/', () => {
    const { storage, template } = synth('dev');
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        ResultConfiguration: Match.objectLike({
          OutputLocation: {
            'Fn::Join': ['', ['s3://', { Ref: bucketIds(storage).results }, '/athena/']],
          },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        }),
      }),
    });
  });

  test('a scan cutoff below Athena’s 10 MB minimum is rejected', () => {
    const config = resolveConfig({ environments: { dev: { scan_cutoff_gb: 0.001 } } }, 'test');
    expect(() => addThermoclineStacks(newApp(), { envName: 'dev', config })).toThrow(
      /scan cutoff 0\.001 GB is below Athena's minimum of 10 MB/,
    );
  });
});

describe('Glue database', () => {
  test('is named thermocline_<env>', () => {
    synth('dev').template.hasResourceProperties('AWS::Glue::Database', {
      CatalogId: { Ref: 'AWS::AccountId' },
      DatabaseInput: Match.objectLike({ Name: 'thermocline_dev' }),
    });
  });

  test('holds no tables in the template (the ETL registers them)', () => {
    synth('dev').template.resourceCountIs('AWS::Glue::Table', 0);
  });
});

describe('per environment', () => {
  stackPerEnvironmentTests(synth, 'storage', 'Storage', true);

  test('prod stays termination-protected when its deletion_protection is turned off', () => {
    const config = resolveConfig({ environments: { prod: { deletion_protection: false } } }, 't');
    const { storage } = addThermoclineStacks(newApp(), { envName: 'prod', config, nag: false });
    expect(storage.terminationProtection).toBe(true);
  });

  test('staging is termination-protected when its deletion_protection is on', () => {
    const config = resolveConfig({ environments: { staging: { deletion_protection: true } } }, 't');
    const { storage } = addThermoclineStacks(newApp(), { envName: 'staging', config, nag: false });
    expect(storage.terminationProtection).toBe(true);
  });

  test.each(['dev', 'prod'] as const)('%s retains every bucket on delete and replace', (env) => {
    const { template } = synth(env);
    const all = Object.keys(template.findResources('AWS::S3::Bucket')).sort();
    const retained = Object.keys(
      template.findResources('AWS::S3::Bucket', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      }),
    ).sort();
    expect(retained).toEqual(all);
  });

  test('prod retains the Glue database', () => {
    synth('prod').template.hasResource('AWS::Glue::Database', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('dev deletes the Glue database with the stack', () => {
    synth('dev').template.hasResource('AWS::Glue::Database', { DeletionPolicy: 'Delete' });
  });

  test('prod names its database and workgroup after prod', () => {
    const { template } = synth('prod');
    template.hasResourceProperties('AWS::Glue::Database', {
      DatabaseInput: Match.objectLike({ Name: 'thermocline_prod' }),
    });
    template.hasResourceProperties('AWS::Athena::WorkGroup', { Name: 'thermocline-prod' });
  });

  test('an unknown env is rejected, naming it and the allowed ones', () => {
    const config = resolveConfig({}, 'test');
    expect(() => addThermoclineStacks(newApp(), { envName: 'qa', config })).toThrow(
      /env 'qa' is not a deployable environment; allowed: dev, staging, prod/,
    );
  });

  test('the local environment is not deployable', () => {
    const config = resolveConfig({}, 'test');
    expect(() => addThermoclineStacks(newApp(), { envName: 'local', config })).toThrow(
      /env 'local'/,
    );
  });
});

describe('grants', () => {
  function consumer(): { storage: StorageStack; stack: Stack; role: iam.Role } {
    const { stacks, stack, role } = grantFixture(kit, 'lambda.amazonaws.com');
    return { storage: stacks.storage, stack, role };
  }

  test('grantLakeRead lets the grantee get and list lake objects', () => {
    const { storage, stack, role } = consumer();
    const grant = storage.grantLakeRead(role);
    expect(grant.success).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: Match.arrayWith(['s3:GetObject*', 's3:List*']),
          }),
        ]),
      },
    });
  });

  test('grantLakeRead grants no write', () => {
    const { storage, stack, role } = consumer();
    storage.grantLakeRead(role);
    expect(JSON.stringify(policyStatements(stack))).not.toMatch(/s3:PutObject|s3:DeleteObject/);
  });

  test('grantLakeReadWrite lets the grantee put and delete lake objects', () => {
    const { storage, stack, role } = consumer();
    storage.grantLakeReadWrite(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: Match.arrayWith(['s3:DeleteObject*', 's3:PutObject']),
          }),
        ]),
      },
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  test.each(['dev', 'staging', 'prod'] as const)('%s synthesizes with the checks on', (env) => {
    expect(() => synth(env)).not.toThrow();
  });

  test.each(['dev', 'staging', 'prod'] as const)(
    '%s has no unacknowledged errors or warnings',
    (env) => {
      expect(nagViolations(synth(env).assembly)).toEqual([]);
    },
  );

  test('an unacknowledged finding fails the synth', () => {
    // Prepare: an unlogged bucket next to the storage stack
    const app = newApp();
    const { storage } = addThermoclineStacks(app, {
      envName: 'dev',
      config: resolveConfig({}, 'test'),
    });
    new s3.Bucket(storage, 'Unlogged', { enforceSSL: true });
    // Act / Assess
    expect(() => app.synth()).toThrow(/Thermocline-dev-Storage\/Unlogged[\s\S]*AwsSolutions-S1/);
  });
});
