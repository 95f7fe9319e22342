/**
 * The hot tier: an Aurora Serverless v2 PostgreSQL cluster, its credentials in Secrets Manager
 * (rotated) and the security group its clients join.
 */
import { Duration, RemovalPolicy, Validations, type CfnResource } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * The engine every Thermocline cluster runs: Aurora PostgreSQL 16.11 (a recent 16.x minor, past
 * 16.3 so Serverless v2 can scale to 0 ACUs when `min_acu` is 0). Minor upgrades are then applied
 * automatically in the maintenance window.
 */
export const AURORA_POSTGRES_VERSION = rds.AuroraPostgresEngineVersion.VER_16_11;
/** The port the cluster listens on (PostgreSQL's default). */
export const POSTGRES_PORT = 5432;
/** The master user whose credentials the generated secret holds. */
export const ADMIN_USERNAME = 'thermocline_admin';
/** The database created with the cluster. */
export const DEFAULT_DATABASE_NAME = 'thermocline';

/** Properties of an {@link AuroraDatabase}. */
export interface AuroraDatabaseProps {
  /** The VPC the cluster and its rotation function run in. */
  readonly vpc: ec2.IVpc;
  /**
   * The subnets of the cluster and of the rotation function.
   * @default - the VPC's isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The cluster's identifier, e.g. `thermocline-dev`: lowercase letters, digits and `-`, starting
   * with a letter. It is fixed so the PostgreSQL log group (`/aws/rds/cluster/<id>/postgresql`)
   * can be made before the cluster; a change that would replace the cluster fails instead of
   * silently swapping in an empty one.
   */
  readonly clusterIdentifier: string;
  /**
   * The Secrets Manager interface endpoint the rotation function calls; the function is allowed
   * to reach it.
   * @default - the rotation function calls Secrets Manager's regional host name, which the VPC
   * must resolve to an endpoint (private DNS) or route out
   */
  readonly secretsManagerEndpoint?: ec2.IInterfaceVpcEndpoint;
  /**
   * Aurora Serverless v2 minimum capacity, in ACUs (0 lets the cluster pause when idle).
   * @default 0.5 - the cluster never pauses and idles at half an ACU
   */
  readonly minCapacityAcu?: number;
  /**
   * Aurora Serverless v2 maximum capacity, in ACUs.
   * @default 2 - the cluster scales up to 2 ACUs (about 4 GiB of memory)
   */
  readonly maxCapacityAcu?: number;
  /**
   * Days automated backups are kept (point-in-time recovery window).
   * @default 30 - a month of point-in-time recovery
   */
  readonly backupRetentionDays?: number;
  /**
   * Turn on the cluster's deletion protection, and keep its automated backups, its master secret
   * and its log group after it is deleted.
   * @default false - the cluster can be deleted (a final snapshot is taken); its automated
   * backups, secret and logs go with it
   */
  readonly deletionProtection?: boolean;
  /**
   * How long the exported PostgreSQL logs are kept in CloudWatch Logs.
   * @default logs.RetentionDays.ONE_MONTH - logs are deleted after 30 days
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Days between rotations of the master password.
   * @default 30 - the password is rotated monthly
   */
  readonly rotationAfterDays?: number;
}

/**
 * An Aurora Serverless v2 PostgreSQL 16 cluster (one serverless writer) for the hot tier:
 * - storage encrypted (AWS-managed key), 30 days of automated backups, a final snapshot when the
 *   cluster is deleted or replaced (`RemovalPolicy.SNAPSHOT`), deletion protection on request;
 * - IAM database authentication and the RDS Data API on; connections without TLS refused
 *   (`rds.force_ssl = 1`);
 * - the master credentials (`thermocline_admin`) generated in Secrets Manager and rotated every
 *   30 days by the AWS single-user rotation function, which runs in the cluster's subnets and
 *   reaches Secrets Manager through the VPC endpoint;
 * - PostgreSQL logs exported to CloudWatch Logs, Performance Insights (7 days, free tier);
 * - a security group that admits 5432 only from {@link AuroraDatabase.dbClientSecurityGroup}
 *   (and the rotation function), and sends nothing out.
 * @example
 * const database = new AuroraDatabase(this, 'Database', {
 *   vpc: network.vpc,
 *   clusterIdentifier: 'thermocline-dev',
 *   secretsManagerEndpoint: network.interfaceEndpoint('SecretsManager'),
 *   minCapacityAcu: 0.5,
 *   maxCapacityAcu: 2,
 * });
 * database.grantDataApiAccess(syncFunction);
 */
export class AuroraDatabase extends Construct {
  /** The Aurora cluster. */
  readonly cluster: rds.DatabaseCluster;
  /** The master credentials (JSON: username, password, host, port, dbname, engine). */
  readonly secret: secretsmanager.ISecret;
  /** The security group of the cluster: 5432 from its clients only. */
  readonly securityGroup: ec2.SecurityGroup;
  /** Join this security group to connect to the cluster on 5432 (direct `pg` connections). */
  readonly dbClientSecurityGroup: ec2.SecurityGroup;
  /** The log group the cluster's PostgreSQL logs are exported to. */
  readonly logGroup: logs.LogGroup;
  /** The master password's rotation. */
  readonly rotation: secretsmanager.SecretRotation;

  constructor(scope: Construct, id: string, props: AuroraDatabaseProps) {
    super(scope, id);
    const settings = clusterSettings(props);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Aurora cluster ${props.clusterIdentifier}: PostgreSQL from its clients only`,
      allowAllOutbound: false,
    });
    this.dbClientSecurityGroup = new ec2.SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: props.vpc,
      description: `Clients of Aurora cluster ${props.clusterIdentifier} (PostgreSQL on ${POSTGRES_PORT})`,
      // The VPC has no route out: egress reaches only the VPC (cluster, endpoints) and S3.
      allowAllOutbound: true,
    });

    // Made before the cluster so it carries a retention; RDS would otherwise create it on the
    // first export, with no retention and outside the stack.
    this.logGroup = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/cluster/${props.clusterIdentifier}/postgresql`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: settings.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.cluster = this.addCluster(props, settings);
    this.secret = this.clusterSecret(props.clusterIdentifier, settings.deletionProtection);
    this.rotation = this.cluster.addRotationSingleUser({
      automaticallyAfter: Duration.days(settings.rotationAfterDays),
      vpcSubnets: settings.vpcSubnets,
      endpoint: props.secretsManagerEndpoint,
    });

    if (!settings.deletionProtection) {
      Validations.of(this.cluster).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason:
          'Deletion protection follows the environment config (deletion_protection): on in ' +
          'prod, off in dev and staging so those can be torn down; a final snapshot is taken ' +
          'either way (RemovalPolicy.SNAPSHOT).',
      });
    }
  }

  /**
   * `Cluster`: the serverless writer in the security group, its TLS-only parameter group, its
   * logs exported to {@link AuroraDatabase.logGroup}, 5432 open to the client security group.
   */
  private addCluster(props: AuroraDatabaseProps, settings: ClusterSettings): rds.DatabaseCluster {
    const { deletionProtection } = settings;
    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: AURORA_POSTGRES_VERSION });
    const cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier: props.clusterIdentifier,
      defaultDatabaseName: DEFAULT_DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret(ADMIN_USERNAME),
      writer: rds.ClusterInstance.serverlessV2('Writer', {
        autoMinorVersionUpgrade: true,
        publiclyAccessible: false,
        enablePerformanceInsights: true,
        performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
      }),
      serverlessV2MinCapacity: settings.minCapacityAcu,
      serverlessV2MaxCapacity: settings.maxCapacityAcu,
      vpc: props.vpc,
      vpcSubnets: settings.vpcSubnets,
      securityGroups: [this.securityGroup],
      // PostgreSQL's default port on purpose: the cluster sits in isolated subnets and admits
      // only its client security group, so another port would hide nothing, while every
      // PostgreSQL tool and the local runtime assume 5432. (cdk-nag's AwsSolutions-RDS11 does
      // not flag Aurora PostgreSQL in provisioned/Serverless v2 mode, so no acknowledgement.)
      port: POSTGRES_PORT,
      storageEncrypted: true,
      backup: { retention: Duration.days(settings.backupRetentionDays) },
      deletionProtection,
      deleteAutomatedBackups: !deletionProtection,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      iamAuthentication: true,
      enableDataApi: true,
      parameterGroup: new rds.ParameterGroup(this, 'ParameterGroup', {
        engine,
        description: `Aurora cluster ${props.clusterIdentifier}: TLS required`,
        parameters: { 'rds.force_ssl': '1' },
      }),
      cloudwatchLogsExports: ['postgresql'],
      enablePerformanceInsights: true,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
      copyTagsToSnapshot: true,
    });
    // Only the cluster resource exports logs; the secret, writer and rotation need not wait.
    (cluster.node.defaultChild as CfnResource).node.addDependency(this.logGroup);
    cluster.connections.allowDefaultPortFrom(
      this.dbClientSecurityGroup,
      'PostgreSQL from the cluster clients',
    );
    return cluster;
  }

  /**
   * The cluster's master secret. With deletion protection the secret outlives the stack, like the
   * final snapshot whose master password it holds; elsewhere it goes (a restored snapshot's
   * password can be reset).
   */
  private clusterSecret(
    clusterIdentifier: string,
    deletionProtection: boolean,
  ): secretsmanager.ISecret {
    if (!this.cluster.secret) {
      throw new Error(`Aurora cluster ${clusterIdentifier} was created without a secret`);
    }
    // `cluster.secret` is the attachment; the generated secret is the cluster's child `Secret`.
    const generated = this.cluster.node.tryFindChild('Secret');
    if (!(generated instanceof secretsmanager.Secret)) {
      throw new Error(`Aurora cluster ${clusterIdentifier} has no generated secret`);
    }
    generated.applyRemovalPolicy(deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
    return this.cluster.secret;
  }

  /**
   * Lets `grantee` run SQL through the RDS Data API: the `rds-data` actions on the cluster and
   * read access to the secret the calls name.
   * @example
   * database.grantDataApiAccess(syncFunction);
   */
  grantDataApiAccess(grantee: iam.IGrantable): iam.Grant {
    return this.cluster.grantDataApiAccess(grantee);
  }

  /**
   * Lets `grantee` read the master credentials (get and describe the secret).
   * @example
   * database.grantSecretRead(exportFunction);
   */
  grantSecretRead(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }
}

/** The settings of an {@link AuroraDatabase}, the defaults of its props applied. */
interface ClusterSettings {
  readonly minCapacityAcu: number;
  readonly maxCapacityAcu: number;
  readonly backupRetentionDays: number;
  readonly rotationAfterDays: number;
  readonly deletionProtection: boolean;
  readonly vpcSubnets: ec2.SubnetSelection;
}

/** The props' settings with their defaults, validated. */
function clusterSettings(props: AuroraDatabaseProps): ClusterSettings {
  const settings = {
    minCapacityAcu: props.minCapacityAcu ?? 0.5,
    maxCapacityAcu: props.maxCapacityAcu ?? 2,
    backupRetentionDays: props.backupRetentionDays ?? 30,
    rotationAfterDays: props.rotationAfterDays ?? 30,
    deletionProtection: props.deletionProtection ?? false,
    vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
  };
  checkCapacity(settings.minCapacityAcu, settings.maxCapacityAcu);
  checkDays('backupRetentionDays', settings.backupRetentionDays, 1, 35);
  checkDays('rotationAfterDays', settings.rotationAfterDays, 1, 1000);
  checkClusterIdentifier(props.clusterIdentifier);
  return settings;
}

/** Throws unless the capacities are ones Aurora Serverless v2 accepts, min ≤ max. */
function checkCapacity(min: number, max: number): void {
  const valid = (acu: number, least: number): boolean =>
    Number.isFinite(acu) && acu >= least && acu <= 256 && Number.isInteger(acu * 2);
  if (!valid(min, 0)) {
    throw new Error(
      `Aurora minCapacityAcu is ${min}; use 0 to 256 ACUs in steps of 0.5 (aurora.min_acu)`,
    );
  }
  if (!valid(max, 1)) {
    throw new Error(
      `Aurora maxCapacityAcu is ${max}; use 1 to 256 ACUs in steps of 0.5 (aurora.max_acu)`,
    );
  }
  if (min > max) {
    throw new Error(
      `Aurora minCapacityAcu (${min}) exceeds maxCapacityAcu (${max}); lower aurora.min_acu ` +
        `or raise aurora.max_acu`,
    );
  }
}

/** Throws unless `value` is a whole number of days within `[least, most]`. */
function checkDays(name: string, value: number, least: number, most: number): void {
  if (!(Number.isInteger(value) && value >= least && value <= most)) {
    throw new Error(
      `AuroraDatabase ${name} is ${value}; use a whole number from ${least} to ${most}`,
    );
  }
}

/** Throws unless `id` is a valid Aurora cluster identifier. */
function checkClusterIdentifier(id: string): void {
  if (!/^[a-z](?!.*--)[a-z0-9-]{0,62}$/.test(id) || id.endsWith('-')) {
    throw new Error(
      `Aurora cluster identifier '${id}' is not valid; use 1 to 63 lowercase letters, digits ` +
        `and single hyphens, starting with a letter and not ending with one, e.g. 'thermocline-dev'`,
    );
  }
}
