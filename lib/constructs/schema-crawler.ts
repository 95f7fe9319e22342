/**
 * The Glue crawler of the design card, as a schema auditor: it crawls the tables the ETL created
 * and logs what changed, and never rewrites a table or makes a table per partition.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CRAWLER_CATALOG_ACTIONS, CRAWLER_LOG_ACTIONS, LOGS_KEY_ACTIONS } from '../perms';
import { acknowledgeWildcardResource } from './nag-acknowledgements';

/** Properties of a {@link SchemaCrawler}. */
export interface SchemaCrawlerProps {
  /** The crawler's name, e.g. `thermocline-dev-schema`. */
  readonly crawlerName: string;
  /** The Glue database the ETL registers the lake's tables in. */
  readonly databaseName: string;
  /** The tables to crawl: the config's time-series tables (created by the ETL's first publish). */
  readonly tableNames: readonly string[];
  /** The lake bucket the tables live in (read only). */
  readonly lakeBucket: s3.IBucket;
  /**
   * When the crawler runs: a Glue cron expression (UTC), daily after the ETL.
   * @default - no schedule: the crawler runs only when started (`aws glue start-crawler`)
   */
  readonly scheduleExpression?: string;
}

/** The crawler's settings: one schema per table path, partitions inherit the table's schema. */
export const CRAWLER_CONFIGURATION = {
  Version: 1.0,
  CrawlerOutput: { Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
  Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas' },
} as const;

/**
 * A Glue crawler over the ETL's own catalog tables (catalog targets, not S3 paths, so it can never
 * create a table per partition folder):
 * - schema change policy LOG for updates and deletes: a changed column is written to the crawler's
 *   log, not applied to the table the ETL and Athena rely on;
 * - `InheritFromTable` partitions and `CombineCompatibleSchemas` grouping: one schema per path;
 * - a security configuration that encrypts its CloudWatch logs and bookmarks with a rotated KMS key;
 * - a role that reads the lake bucket and this database's tables and partitions only.
 * The ETL registers every partition it publishes, so the crawler is an audit, not a dependency:
 * the config's `schedules.crawler` is off by default (docs/deploy.md, the Glue crawler).
 * @example
 * new SchemaCrawler(this, 'SchemaCrawler', {
 *   crawlerName: 'thermocline-dev-schema',
 *   databaseName: 'thermocline_dev',
 *   tableNames: ['events', 'agent_tasks'],
 *   lakeBucket: lake.bucket,
 *   scheduleExpression: 'cron(0 5 * * ? *)',
 * });
 */
export class SchemaCrawler extends Construct {
  /** The crawler. */
  readonly crawler: glue.CfnCrawler;
  /** The role the crawler runs as. */
  readonly role: iam.Role;
  /** The key its logs are encrypted with. */
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: SchemaCrawlerProps) {
    super(scope, id);
    if (props.tableNames.length === 0) {
      throw new Error(
        `SchemaCrawler '${props.crawlerName}' has no tables to crawl; configure at least one table`,
      );
    }
    const logGroupArn = Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws-glue/crawlers*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.key = this.addKey(props.crawlerName, logGroupArn);
    this.role = this.addRole(props, logGroupArn);
    this.crawler = this.addCrawler(props);
    this.acknowledgeFindings(props.lakeBucket, logGroupArn);
  }

  /** `Key`: the rotated KMS key of the crawler's logs, usable by CloudWatch Logs for them. */
  private addKey(crawlerName: string, logGroupArn: string): kms.Key {
    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the logs of the Glue crawler ${crawlerName}`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsUse',
        principals: [new iam.ServicePrincipal(`logs.${Stack.of(this).region}.amazonaws.com`)],
        actions: [...LOGS_KEY_ACTIONS],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
      }),
    );
    return key;
  }

  /** `Role`: reads the lake and this database's tables, writes the crawler's encrypted logs. */
  private addRole(props: SchemaCrawlerProps, logGroupArn: string): iam.Role {
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: `Glue crawler ${props.crawlerName}: reads the lake and this database's tables`,
    });
    props.lakeBucket.grantRead(role);
    this.key.grantEncryptDecrypt(role);
    const glueArn = (resource: string, resourceName?: string): string =>
      Stack.of(this).formatArn({ service: 'glue', resource, resourceName });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...CRAWLER_CATALOG_ACTIONS],
        resources: [
          glueArn('catalog'),
          glueArn('database', props.databaseName),
          ...props.tableNames.map((table) => glueArn('table', `${props.databaseName}/${table}`)),
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...CRAWLER_LOG_ACTIONS],
        resources: [logGroupArn, `${logGroupArn}:*`],
      }),
    );
    return role;
  }

  /** `SecurityConfiguration` (logs and bookmarks encrypted with the key) and `Crawler`. */
  private addCrawler(props: SchemaCrawlerProps): glue.CfnCrawler {
    const security = new glue.CfnSecurityConfiguration(this, 'SecurityConfiguration', {
      name: `${props.crawlerName}-security`,
      encryptionConfiguration: {
        cloudWatchEncryption: { cloudWatchEncryptionMode: 'SSE-KMS', kmsKeyArn: this.key.keyArn },
        jobBookmarksEncryption: {
          jobBookmarksEncryptionMode: 'CSE-KMS',
          kmsKeyArn: this.key.keyArn,
        },
        s3Encryptions: [{ s3EncryptionMode: 'SSE-S3' }],
      },
    });
    const crawler = new glue.CfnCrawler(this, 'Crawler', {
      name: props.crawlerName,
      description:
        'Audits the ETL-created tables: logs schema changes (LOG policy), never rewrites them',
      role: this.role.roleArn,
      databaseName: props.databaseName,
      targets: {
        catalogTargets: [{ databaseName: props.databaseName, tables: [...props.tableNames] }],
      },
      schemaChangePolicy: { updateBehavior: 'LOG', deleteBehavior: 'LOG' },
      configuration: JSON.stringify(CRAWLER_CONFIGURATION),
      crawlerSecurityConfiguration: security.name,
      ...(props.scheduleExpression
        ? { schedule: { scheduleExpression: props.scheduleExpression } }
        : {}),
    });
    crawler.addResourceDependency(security);
    return crawler;
  }

  /** The cdk-nag findings of the crawler's role, each with its reason. */
  private acknowledgeFindings(lakeBucket: s3.IBucket, logGroupArn: string): void {
    for (const action of ['s3:GetBucket*', 's3:GetObject*', 's3:List*']) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason:
          `${action} is part of the read-only grant on the lake bucket (grantRead): the crawler ` +
          "reads the tables' Parquet footers to compare their schema with the catalog's.",
      });
    }
    acknowledgeWildcardResource(
      this.role,
      `${lakeBucket.bucketArn}/*`,
      'Read access to the objects of the lake bucket only; the table-day keys are written at run ' +
        'time and cannot be listed in the policy.',
    );
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${action} on the crawler's own log key only, to write its encrypted logs.`,
      });
    }
    for (const resource of [logGroupArn, `${logGroupArn}:*`]) {
      acknowledgeWildcardResource(
        this.role,
        resource,
        'Glue crawlers write to log groups under /aws-glue/crawlers (Glue names the streams); ' +
          'no other log group.',
      );
    }
  }
}
