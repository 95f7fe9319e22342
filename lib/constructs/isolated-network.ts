/**
 * The network of the hot tier: a VPC with no way to the internet, whose functions reach AWS
 * services through VPC endpoints only.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { VpcEndpointService } from '#core/config/schema';

/**
 * The interface endpoints the platform's functions need, by construct ID (a contract: never
 * rename one). Each is an AWS API the Lambdas in the VPC call: Secrets Manager (database
 * credentials, and the rotation function), RDS Data API, Athena, Glue (catalog), Step Functions
 * (task tokens, executions), SNS (alerts), CloudWatch Logs and metrics, STS (assumed-role
 * credentials) and X-Ray (the functions trace, and the trace daemon sends through the VPC).
 */
export const LAMBDA_INTERFACE_ENDPOINTS: Readonly<
  Record<string, ec2.InterfaceVpcEndpointAwsService>
> = {
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  RdsData: ec2.InterfaceVpcEndpointAwsService.RDS_DATA,
  Athena: ec2.InterfaceVpcEndpointAwsService.ATHENA,
  Glue: ec2.InterfaceVpcEndpointAwsService.GLUE,
  StepFunctions: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
  Sns: ec2.InterfaceVpcEndpointAwsService.SNS,
  CloudWatchLogs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  CloudWatchMonitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
};

/**
 * The construct ID of each interface endpoint the config can ask for (`database.create.vpc_endpoints`),
 * by its service name.
 */
export const VPC_ENDPOINT_IDS: Readonly<Record<VpcEndpointService, string>> = {
  secretsmanager: 'SecretsManager',
  glue: 'Glue',
  'rds-data': 'RdsData',
  athena: 'Athena',
  states: 'StepFunctions',
  sns: 'Sns',
  logs: 'CloudWatchLogs',
  monitoring: 'CloudWatchMonitoring',
  sts: 'Sts',
  xray: 'XRay',
};

/**
 * The interface endpoints of `services` (config names), by construct ID.
 * @example
 * interfaceEndpointsFor(['secretsmanager', 'glue']); // { SecretsManager: …, Glue: … }
 */
export function interfaceEndpointsFor(
  services: readonly VpcEndpointService[],
): Record<string, ec2.InterfaceVpcEndpointAwsService> {
  return Object.fromEntries(
    services.map((service) => {
      const id = VPC_ENDPOINT_IDS[service];
      const endpoint = LAMBDA_INTERFACE_ENDPOINTS[id];
      if (!endpoint) throw new Error(`no interface endpoint service for '${service}'`);
      return [id, endpoint];
    }),
  );
}

/** The name of the VPC's only subnet group. */
export const ISOLATED_SUBNET_GROUP = 'Isolated';

/** Properties of an {@link IsolatedNetwork}. */
export interface IsolatedNetworkProps {
  /**
   * The VPC's IPv4 CIDR block.
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;
  /**
   * Availability zones to spread the subnets over. With an environment-agnostic stack, CDK picks
   * the first ones of the region at deploy time (`Fn::GetAZs`); 2 is the most it can use then.
   * @default 2 - two isolated subnets, one per zone
   */
  readonly maxAzs?: number;
  /**
   * The zones of the subnets, by name (e.g. `['eu-west-1a', 'eu-west-1b']`): needed when the
   * stack is pinned to an account and region, where CDK would otherwise look the zones up.
   * @default - the region's first `maxAzs` zones, chosen at deploy time
   */
  readonly availabilityZones?: readonly string[];
  /**
   * How many zones each interface endpoint has a network interface in (the first ones). One zone
   * halves the endpoints' cost; the functions in the other zone then cross zones to reach them.
   * @default - every zone of the VPC
   */
  readonly endpointAzs?: number;
  /**
   * Prefix length of each isolated subnet.
   * @default 22 - 1,019 usable addresses per subnet, ample for Lambda's ENIs and the endpoints
   */
  readonly subnetCidrMask?: number;
  /**
   * Interface endpoints to create, by construct ID, each with private DNS so the SDKs' default
   * host names resolve to it.
   * @default LAMBDA_INTERFACE_ENDPOINTS - the services the platform's functions call
   */
  readonly interfaceEndpoints?: Readonly<Record<string, ec2.InterfaceVpcEndpointAwsService>>;
  /**
   * How long the VPC flow logs are kept.
   * @default logs.RetentionDays.ONE_MONTH - flow logs are deleted after 30 days
   */
  readonly flowLogRetention?: logs.RetentionDays;
  /**
   * Keep the flow-log group when the stack is deleted (an audit trail that outlives the network).
   * @default false - the flow-log group is deleted with the stack
   */
  readonly retainFlowLogs?: boolean;
}

/**
 * A VPC with isolated subnets only (no NAT gateway, no internet gateway, no route out), all its
 * traffic logged to CloudWatch Logs (flow logs, accepted and rejected), an S3 gateway endpoint (the
 * lake, free) and interface endpoints with private DNS for the AWS APIs the functions call.
 *
 * The interface endpoints share one security group that admits HTTPS (443) from the VPC's CIDR
 * and nothing else: every workload in the VPC is the platform's own, and an endpoint only serves
 * the AWS API it fronts (IAM still decides every call). Each interface endpoint costs about
 * US$0.01 per hour per zone, so with all ten (this construct's default) the network's idle cost
 * is about US$146 a month (10 endpoints × 2 zones × 730 h); the Database stack asks for the
 * config's `vpc_endpoints` only (Secrets Manager and Glue by default, about US$29). Choose with
 * `interfaceEndpoints`.
 * @example
 * const network = new IsolatedNetwork(this, 'Network', {
 *   flowLogRetention: logs.RetentionDays.ONE_MONTH,
 * });
 * const secretsEndpoint = network.interfaceEndpoint('SecretsManager');
 */
export class IsolatedNetwork extends Construct {
  /** The VPC. */
  readonly vpc: ec2.Vpc;
  /** The VPC's isolated subnets (its only ones). */
  readonly isolatedSubnets: ec2.SubnetSelection;
  /** The security group of every interface endpoint: HTTPS from the VPC's CIDR. */
  readonly endpointSecurityGroup: ec2.SecurityGroup;
  /** The S3 gateway endpoint (routes in every isolated subnet). */
  readonly s3Endpoint: ec2.GatewayVpcEndpoint;
  /** The log group the VPC flow logs go to. */
  readonly flowLogGroup: logs.LogGroup;
  private readonly endpoints = new Map<string, ec2.InterfaceVpcEndpoint>();

  constructor(scope: Construct, id: string, props: IsolatedNetworkProps = {}) {
    super(scope, id);
    const maxAzs = props.maxAzs ?? 2;
    const cidr = props.cidr ?? '10.0.0.0/16';
    if (!(Number.isInteger(maxAzs) && maxAzs >= 1)) {
      throw new Error(`IsolatedNetwork maxAzs is ${maxAzs}; use a whole number, 1 or more`);
    }

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.retainFlowLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      ...(props.availabilityZones
        ? { availabilityZones: [...props.availabilityZones] }
        : { maxAzs }),
      natGateways: 0,
      createInternetGateway: false,
      subnetConfiguration: [
        {
          name: ISOLATED_SUBNET_GROUP,
          subnetType: ec2.SubnetType.PRIVATE_ISOLATED,
          cidrMask: props.subnetCidrMask ?? 22,
        },
      ],
      flowLogs: {
        FlowLog: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
    this.isolatedSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    this.s3Endpoint = this.vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [this.isolatedSubnets],
    });

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from within the VPC',
      allowAllOutbound: false,
    });
    // The literal CIDR, not the VPC's `CidrBlock` attribute: cdk-nag's EC23 (no 0.0.0.0/0
    // ingress) can only judge a rule whose source is known at synthesis.
    this.endpointSecurityGroup.addIngressRule(
      ec2.Peer.ipv4(cidr),
      ec2.Port.tcp(443),
      'HTTPS from within the VPC',
    );

    const endpointAzs = props.endpointAzs ?? this.vpc.isolatedSubnets.length;
    if (!(Number.isInteger(endpointAzs) && endpointAzs >= 1)) {
      throw new Error(
        `IsolatedNetwork endpointAzs is ${endpointAzs}; use a whole number, 1 or more`,
      );
    }
    const endpointSubnets: ec2.SubnetSelection = {
      subnets: this.vpc.isolatedSubnets.slice(0, endpointAzs),
    };
    for (const [endpointId, service] of Object.entries(
      props.interfaceEndpoints ?? LAMBDA_INTERFACE_ENDPOINTS,
    )) {
      const endpoint = this.vpc.addInterfaceEndpoint(endpointId, {
        service,
        privateDnsEnabled: true,
        subnets: endpointSubnets,
        securityGroups: [this.endpointSecurityGroup],
        open: false,
      });
      this.endpoints.set(endpointId, endpoint);
    }
  }

  /**
   * The interface endpoint created under `endpointId` (a key of the `interfaceEndpoints` prop).
   * @throws Error naming the ID and the endpoints there are.
   * @example
   * network.interfaceEndpoint('SecretsManager');
   */
  interfaceEndpoint(endpointId: string): ec2.InterfaceVpcEndpoint {
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) {
      throw new Error(
        `the network has no interface endpoint '${endpointId}'; it has: ` +
          `${[...this.endpoints.keys()].join(', ') || 'none'} (add it to interfaceEndpoints)`,
      );
    }
    return endpoint;
  }
}
