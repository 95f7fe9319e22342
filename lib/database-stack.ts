/**
 * The stateful hot tier of one environment: the isolated network and the Aurora cluster in it.
 * Kept apart from the stateless stacks so those can be replaced freely.
 */
import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { AuroraDatabase } from './constructs/aurora-database';
import { IsolatedNetwork } from './constructs/isolated-network';
import type { DeployEnvironmentName } from './storage-stack';

/** Properties of a {@link DatabaseStack}. */
export interface DatabaseStackProps extends StackProps {
  /** The environment: names the cluster (`thermocline-<env>`). */
  readonly envName: DeployEnvironmentName;
  /**
   * Aurora Serverless v2 minimum capacity, in ACUs (0 lets the cluster pause when idle).
   * @default 0.5 - the cluster idles at half an ACU
   */
  readonly minCapacityAcu?: number;
  /**
   * Aurora Serverless v2 maximum capacity, in ACUs.
   * @default 2 - the cluster scales up to 2 ACUs
   */
  readonly maxCapacityAcu?: number;
  /**
   * Protect the environment's database from deletion: termination protection on the stack,
   * deletion protection on the cluster, automated backups and logs kept after deletion.
   * @default false - the stack can be deleted; the cluster leaves a final snapshot
   */
  readonly deletionProtection?: boolean;
  /**
   * How long the VPC flow logs and the PostgreSQL logs are kept.
   * @default logs.RetentionDays.ONE_MONTH - logs are deleted after 30 days
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The database stack of one environment (`Thermocline-<env>-Database`):
 * - `Network`: a VPC over two zones with isolated subnets only (no NAT, no internet gateway),
 *   flow logs to CloudWatch Logs, an S3 gateway endpoint and interface endpoints (private DNS) for
 *   Secrets Manager, RDS Data, Athena, Glue, Step Functions, SNS, CloudWatch Logs and metrics, STS
 *   and X-Ray;
 * - `Database`: the Aurora Serverless v2 PostgreSQL 16 cluster `thermocline-<env>` (capacity from
 *   the config, encrypted, 30 days of backups, IAM auth, Data API, TLS only, a final snapshot on
 *   delete), its rotated master secret, and the client security group the functions join.
 *
 * With `deletionProtection` (prod) the stack is termination-protected and the cluster
 * deletion-protected. The stack is environment-agnostic (no account or region is needed to
 * synthesize it).
 * @example
 * const database = new DatabaseStack(app, 'Thermocline-dev-Database', {
 *   envName: 'dev',
 *   minCapacityAcu: 0.5,
 *   maxCapacityAcu: 2,
 * });
 * database.grantDataApiAccess(syncFunction);
 */
export class DatabaseStack extends Stack {
  /** The VPC (isolated subnets only). */
  readonly vpc: ec2.IVpc;
  /** The Aurora cluster. */
  readonly cluster: rds.DatabaseCluster;
  /** The cluster's fixed identifier, `thermocline-<env>` (its CloudWatch metrics' dimension). */
  readonly clusterIdentifier: string;
  /** The cluster's master credentials, rotated every 30 days. */
  readonly secret: secretsmanager.ISecret;
  /** Join this security group to connect to the cluster on 5432. */
  readonly dbClientSecurityGroup: ec2.ISecurityGroup;
  /** The network construct (VPC, endpoints, flow logs). */
  readonly network: IsolatedNetwork;
  /** The database construct (cluster, secret, security groups). */
  readonly database: AuroraDatabase;

  constructor(scope: Construct, id: string, props: DatabaseStackProps) {
    const deletionProtection = props.deletionProtection ?? false;
    super(scope, id, {
      description: `Thermocline ${props.envName}: isolated VPC and Aurora Serverless v2 PostgreSQL (stateful)`,
      ...props,
      terminationProtection: props.terminationProtection ?? deletionProtection,
    });
    Tags.of(this).add('thermocline:environment', props.envName);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.clusterIdentifier = `thermocline-${props.envName}`;

    this.network = new IsolatedNetwork(this, 'Network', {
      flowLogRetention: logRetention,
      retainFlowLogs: deletionProtection,
    });
    this.database = new AuroraDatabase(this, 'Database', {
      vpc: this.network.vpc,
      vpcSubnets: this.network.isolatedSubnets,
      clusterIdentifier: this.clusterIdentifier,
      secretsManagerEndpoint: this.network.interfaceEndpoint('SecretsManager'),
      minCapacityAcu: props.minCapacityAcu,
      maxCapacityAcu: props.maxCapacityAcu,
      deletionProtection,
      logRetention,
    });

    this.vpc = this.network.vpc;
    this.cluster = this.database.cluster;
    this.secret = this.database.secret;
    this.dbClientSecurityGroup = this.database.dbClientSecurityGroup;

    new CfnOutput(this, 'ClusterArn', {
      description: 'The Aurora cluster (Data API resourceArn).',
      value: this.cluster.clusterArn,
    });
    new CfnOutput(this, 'ClusterEndpoint', {
      description: 'The Aurora writer endpoint (PGHOST inside the VPC).',
      value: this.cluster.clusterEndpoint.hostname,
    });
    new CfnOutput(this, 'SecretArn', {
      description: 'The master credentials (Data API secretArn).',
      value: this.secret.secretArn,
    });
  }

  /**
   * Lets `grantee` run SQL through the RDS Data API (the `rds-data` actions on the cluster and
   * read access to the secret).
   * @example
   * database.grantDataApiAccess(syncFunction);
   */
  grantDataApiAccess(grantee: iam.IGrantable): iam.Grant {
    return this.database.grantDataApiAccess(grantee);
  }

  /**
   * Lets `grantee` read the master credentials.
   * @example
   * database.grantSecretRead(exportFunction);
   */
  grantSecretRead(grantee: iam.IGrantable): iam.Grant {
    return this.database.grantSecretRead(grantee);
  }
}
