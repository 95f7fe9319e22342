/**
 * The stateful hot tier of one environment: the isolated network and the Aurora cluster in it, or
 * an existing cluster, secret and network imported. Kept apart from the stateless stacks so those
 * can be replaced freely.
 */
import {
  Annotations,
  CfnOutput,
  CfnWaitConditionHandle,
  Stack,
  Tags,
  type StackProps,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { REQUIRED_VPC_ENDPOINTS, type VpcEndpointService } from '#core/config/schema';
import { AuroraDatabase, DEFAULT_DATABASE_NAME, POSTGRES_PORT } from './constructs/aurora-database';
import { interfaceEndpointsFor, IsolatedNetwork } from './constructs/isolated-network';
import type { DeployEnvironmentName } from './storage-stack';

/** An existing Aurora PostgreSQL cluster, its secret and its network, for the stack to import. */
export interface ExistingDatabase {
  /** The cluster's ARN (`arn:aws:rds:<region>:<account>:cluster:<id>`); its Data API must be on. */
  readonly clusterArn: string;
  /** The complete ARN of the secret the functions connect with (RDS JSON format). */
  readonly secretArn: string;
  /** The VPC the cluster is in. */
  readonly vpcId: string;
  /** Private subnets the functions that connect directly (export, purge) run in. */
  readonly subnetIds: readonly string[];
  /** The zones of `subnetIds`, in the same order. */
  readonly availabilityZones: readonly string[];
  /** The security group those functions join; the cluster's security group must admit it on 5432. */
  readonly securityGroupId: string;
  /**
   * The cluster's identifier.
   * @default - the last part of `clusterArn`
   */
  readonly clusterIdentifier?: string;
  /**
   * The database the functions use.
   * @default 'thermocline'
   */
  readonly databaseName?: string;
}

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
  /**
   * Import this cluster, secret and network instead of creating them (the capacity, deletion
   * protection and endpoint props then do not apply: the cluster is yours).
   * @default - a new VPC and Aurora cluster
   */
  readonly existing?: ExistingDatabase;
  /**
   * The interface VPC endpoints of the new VPC, by service name; must include Secrets Manager and
   * Glue (the functions in the VPC call them).
   * @default ['secretsmanager', 'glue']
   */
  readonly vpcEndpoints?: readonly VpcEndpointService[];
  /**
   * How many zones each interface endpoint is in.
   * @default 2 - both zones of the VPC
   */
  readonly vpcEndpointAzs?: number;
  /**
   * The new VPC's two zones by name, needed when the stack is pinned to an account and region.
   * @default - the region's first two, chosen at deploy time
   */
  readonly availabilityZones?: readonly string[];
}

/** The hot tier's resources, created by the stack or imported. */
interface HotTier {
  readonly network: IsolatedNetwork | undefined;
  readonly database: AuroraDatabase | undefined;
  readonly vpc: ec2.IVpc;
  readonly functionSubnets: ec2.SubnetSelection;
  readonly cluster: rds.IDatabaseCluster;
  readonly clusterArn: string;
  readonly databaseName: string;
  readonly secret: secretsmanager.ISecret;
  readonly dbClientSecurityGroup: ec2.ISecurityGroup;
}

/**
 * The database stack of one environment (`Thermocline-<env>-Database`):
 * - `Network`: a VPC over two zones with isolated subnets only (no NAT, no internet gateway),
 *   flow logs to CloudWatch Logs, an S3 gateway endpoint and the configured interface endpoints
 *   (private DNS; Secrets Manager and Glue by default, for the functions in the VPC);
 * - `Database`: the Aurora Serverless v2 PostgreSQL 16 cluster `thermocline-<env>` (capacity from
 *   the config, encrypted, 30 days of backups, IAM auth, Data API, TLS only, a final snapshot on
 *   delete), its rotated master secret, and the client security group the functions join.
 *
 * With `existing`, nothing is created: the cluster, its secret, the VPC, its subnets and the
 * client security group are imported by ID, and the functions use them.
 *
 * With `deletionProtection` (prod) the stack is termination-protected and the cluster
 * deletion-protected. Synthesis needs no account or region (give `availabilityZones` when the
 * stack is pinned to one).
 * @example
 * const database = new DatabaseStack(app, 'Thermocline-dev-Database', {
 *   envName: 'dev',
 *   minCapacityAcu: 0.5,
 *   maxCapacityAcu: 2,
 * });
 * database.grantDataApiAccess(syncFunction);
 */
export class DatabaseStack extends Stack {
  /** The VPC (isolated subnets only, or the existing VPC). */
  readonly vpc: ec2.IVpc;
  /** The subnets of the functions that connect to PostgreSQL directly. */
  readonly functionSubnets: ec2.SubnetSelection;
  /** The Aurora cluster (created, or imported). */
  readonly cluster: rds.IDatabaseCluster;
  /** The cluster's ARN (the Data API's `resourceArn`). */
  readonly clusterArn: string;
  /** The database the functions use (`thermocline` unless the existing config names another). */
  readonly databaseName: string;
  /** The cluster's fixed identifier, `thermocline-<env>` (its CloudWatch metrics' dimension). */
  readonly clusterIdentifier: string;
  /** The cluster's master credentials, rotated every 30 days. */
  readonly secret: secretsmanager.ISecret;
  /** Join this security group to connect to the cluster on 5432. */
  readonly dbClientSecurityGroup: ec2.ISecurityGroup;
  /** The network construct (VPC, endpoints, flow logs); `undefined` with an existing database. */
  readonly network: IsolatedNetwork | undefined;
  /** The database construct (cluster, secret, security groups); `undefined` with an existing one. */
  readonly database: AuroraDatabase | undefined;

  /** The zones the config names, when it does (see {@link DatabaseStack.availabilityZones}). */
  private readonly configuredZones: readonly string[] | undefined;

  constructor(scope: Construct, id: string, props: DatabaseStackProps) {
    const deletionProtection = props.deletionProtection ?? false;
    super(scope, id, {
      description: `Thermocline ${props.envName}: isolated VPC and Aurora Serverless v2 PostgreSQL (stateful)`,
      ...props,
      terminationProtection: props.terminationProtection ?? deletionProtection,
    });
    Tags.of(this).add('thermocline:environment', props.envName);
    this.configuredZones = props.existing?.availabilityZones ?? props.availabilityZones;
    this.clusterIdentifier = props.existing
      ? (props.existing.clusterIdentifier ?? props.existing.clusterArn.split(':').pop() ?? '')
      : `thermocline-${props.envName}`;
    const hotTier = props.existing
      ? this.importDatabase(props.existing)
      : this.createDatabase(props, deletionProtection);
    this.network = hotTier.network;
    this.database = hotTier.database;
    this.vpc = hotTier.vpc;
    this.functionSubnets = hotTier.functionSubnets;
    this.cluster = hotTier.cluster;
    this.clusterArn = hotTier.clusterArn;
    this.databaseName = hotTier.databaseName;
    this.secret = hotTier.secret;
    this.dbClientSecurityGroup = hotTier.dbClientSecurityGroup;

    new CfnOutput(this, 'ClusterArn', {
      description: 'The Aurora cluster (Data API resourceArn).',
      value: this.clusterArn,
    });
    new CfnOutput(this, 'SecretArn', {
      description: 'The master credentials (Data API secretArn).',
      value: this.secret.secretArn,
    });
  }

  /** The existing cluster, secret, VPC, subnets and client security group, imported by ID. */
  private importDatabase(existing: ExistingDatabase): HotTier {
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: existing.vpcId,
      availabilityZones: [...existing.availabilityZones],
      privateSubnetIds: [...existing.subnetIds],
    });
    for (const subnet of vpc.privateSubnets) {
      // The stacks add no routes to the existing subnets, so their route tables are not needed.
      Annotations.of(subnet).acknowledgeWarning(
        '@aws-cdk/aws-ec2:noSubnetRouteTableId',
        'Nothing in the stacks reads or changes the route tables of the existing subnets.',
      );
    }
    const dbClientSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(
      this,
      'ClientSecurityGroup',
      existing.securityGroupId,
      { mutable: false },
    );
    const secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Secret', existing.secretArn);
    const cluster = rds.DatabaseCluster.fromDatabaseClusterAttributes(this, 'Cluster', {
      clusterIdentifier: this.clusterIdentifier,
      port: POSTGRES_PORT,
      secret,
      dataApiEnabled: true,
    });
    // CloudFormation refuses a template without resources, and everything here is imported:
    // the usual no-op placeholder keeps the stack (and its outputs) deployable.
    new CfnWaitConditionHandle(this, 'Imported');
    return {
      network: undefined,
      database: undefined,
      vpc,
      functionSubnets: { subnets: vpc.privateSubnets },
      cluster,
      clusterArn: existing.clusterArn,
      databaseName: existing.databaseName ?? DEFAULT_DATABASE_NAME,
      secret,
      dbClientSecurityGroup,
    };
  }

  /** `Network` (the isolated VPC and its endpoints) and `Database` (the Aurora cluster in it). */
  private createDatabase(props: DatabaseStackProps, deletionProtection: boolean): HotTier {
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const vpcEndpoints = props.vpcEndpoints ?? REQUIRED_VPC_ENDPOINTS;
    const network = new IsolatedNetwork(this, 'Network', {
      flowLogRetention: logRetention,
      retainFlowLogs: deletionProtection,
      availabilityZones: props.availabilityZones,
      interfaceEndpoints: interfaceEndpointsFor(vpcEndpoints),
      endpointAzs: props.vpcEndpointAzs,
    });
    const database = new AuroraDatabase(this, 'Database', {
      vpc: network.vpc,
      vpcSubnets: network.isolatedSubnets,
      clusterIdentifier: this.clusterIdentifier,
      secretsManagerEndpoint: vpcEndpoints.includes('secretsmanager')
        ? network.interfaceEndpoint('SecretsManager')
        : undefined,
      minCapacityAcu: props.minCapacityAcu,
      maxCapacityAcu: props.maxCapacityAcu,
      deletionProtection,
      logRetention,
    });
    new CfnOutput(this, 'ClusterEndpoint', {
      description: 'The Aurora writer endpoint (PGHOST inside the VPC).',
      value: database.cluster.clusterEndpoint.hostname,
    });
    return {
      network,
      database,
      vpc: network.vpc,
      functionSubnets: network.isolatedSubnets,
      cluster: database.cluster,
      clusterArn: database.cluster.clusterArn,
      databaseName: DEFAULT_DATABASE_NAME,
      secret: database.secret,
      dbClientSecurityGroup: database.dbClientSecurityGroup,
    };
  }

  /**
   * The zones of the environment's VPC: the configured ones when the config names them, so a
   * stack pinned to an account and region needs no lookup (CDK would otherwise ask the account
   * for them at synthesis); else CDK's (`Fn::GetAZs` in an environment-agnostic stack).
   */
  override get availabilityZones(): string[] {
    return this.configuredZones ? [...this.configuredZones] : super.availabilityZones;
  }

  /**
   * Lets `grantee` run SQL through the RDS Data API (the `rds-data` actions on the cluster and
   * read access to the secret).
   * @example
   * database.grantDataApiAccess(syncFunction);
   */
  grantDataApiAccess(grantee: iam.IGrantable): iam.Grant {
    return this.cluster.grantDataApiAccess(grantee);
  }

  /**
   * Lets `grantee` read the master credentials.
   * @example
   * database.grantSecretRead(exportFunction);
   */
  grantSecretRead(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }
}
