/**
 * The one base construct every Thermocline Lambda function is built with: runtime, architecture,
 * tracing, source maps, log group and network in one place, defaults first.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * The Lambda Node.js runtime every function runs on: the newest aws-cdk-lib 2.276 knows (cdk-nag's
 * AwsSolutions-L1 wants the newest).
 */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;
/** The esbuild target matching {@link FUNCTION_RUNTIME}. */
export const FUNCTION_ESBUILD_TARGET = 'node24';

/**
 * The EC2 actions Lambda needs on the function's role to attach it to the VPC (what the managed
 * policy AWSLambdaVPCAccessExecutionRole grants, inline so the role carries no managed policy).
 */
const VPC_ACCESS_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** Properties of a {@link ThermoclineFunction}. */
export interface ThermoclineFunctionProps {
  /** The handler's TypeScript file (absolute path), e.g. `lambdas/etl-plan.ts`. */
  readonly entry: string;
  /**
   * The VPC the function runs in (the Database stack's): only for functions that connect to
   * PostgreSQL directly. Everything else reaches AWS (the Data API included) from outside a VPC.
   * @default - the function is not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Security groups the function joins (with `vpc`), e.g. the Database stack's
   * `dbClientSecurityGroup`.
   * @default - none
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
  /**
   * The exported handler's name in `entry`.
   * @default 'handler' - the `handler` export
   */
  readonly handler?: string;
  /**
   * The function's name.
   * @default - a name CloudFormation generates
   */
  readonly functionName?: string;
  /**
   * What the function does, shown in the console.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Subnets the function's network interfaces go in.
   * @default - the VPC's isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The instruction set the function runs on.
   * @default lambda.Architecture.ARM_64 - Graviton, about 20 % cheaper per GB-second
   */
  readonly architecture?: lambda.Architecture;
  /**
   * How long an invocation may run, in seconds (at most 900).
   * @default 30 - invocations stop after 30 seconds
   */
  readonly timeoutSec?: number;
  /**
   * Memory, in MiB (128 to 10240); CPU is allotted in proportion.
   * @default 256 - 256 MiB
   */
  readonly memoryMiB?: number;
  /**
   * How long the function's log group keeps its logs.
   * @default logs.RetentionDays.ONE_MONTH - logs are deleted after 30 days
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Environment variables, besides `NODE_OPTIONS=--enable-source-maps` which is always set.
   * Never put secrets here: pass a secret's ARN and grant read access instead.
   * @default - only `NODE_OPTIONS`
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Modules esbuild leaves out of the bundle (a layer must provide them), e.g. a native engine.
   * @default - none: everything is bundled, the AWS SDK included, so the deployed code runs the
   * SDK versions the tests ran
   */
  readonly externalModules?: readonly string[];
  /**
   * Layers the function uses.
   * @default - no layers
   */
  readonly layers?: readonly lambda.ILayerVersion[];
}

/** The defaults of {@link ThermoclineFunctionProps}. */
const FUNCTION_DEFAULTS = {
  handler: 'handler',
  architecture: lambda.Architecture.ARM_64,
  timeoutSec: 30,
  memoryMiB: 256,
  logRetention: logs.RetentionDays.ONE_MONTH,
  externalModules: [] as readonly string[],
  layers: [] as readonly lambda.ILayerVersion[],
};

/**
 * A Lambda function built the Thermocline way: a `NodejsFunction` bundled by the local esbuild
 * (minified, source maps, `node24`, CommonJS; no Docker), on {@link FUNCTION_RUNTIME}, arm64 unless
 * told otherwise, X-Ray tracing active, `NODE_OPTIONS=--enable-source-maps`, its own log group
 * with a retention, and, when given a VPC, attached to its isolated subnets (or `vpcSubnets`) and
 * the security groups.
 *
 * The role is the function's own: no managed policies. It may write to its log group, send
 * X-Ray traces and, in a VPC, manage the network interfaces (inline); everything else comes through the
 * other constructs' intent methods (`storage.bindLake(fn.function)`, `database.grantSecretRead(fn)`).
 * Settings are `{ ...defaults, ...props }`: any prop given wins.
 * @example
 * const plan = new ThermoclineFunction(this, 'PlanFunction', {
 *   entry: join(root, 'lambdas/etl-plan.ts'),
 *   vpc: database.vpc,
 *   securityGroups: [database.dbClientSecurityGroup],
 *   timeoutSec: 30,
 *   memoryMiB: 256,
 *   logRetention: logs.RetentionDays.ONE_MONTH,
 * });
 * storage.bindLake(plan.function);
 */
export class ThermoclineFunction extends Construct implements iam.IGrantable {
  /** The function. */
  readonly function: NodejsFunction;
  /** The function's execution role. */
  readonly role: iam.Role;
  /** The function's log group. */
  readonly logGroup: logs.LogGroup;
  /** The function's role, for grants. */
  readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: ThermoclineFunctionProps) {
    super(scope, id);
    const settings = { ...FUNCTION_DEFAULTS, ...definedOnly(props) };
    checkRange('timeoutSec', settings.timeoutSec, 1, 900, 'seconds');
    checkRange('memoryMiB', settings.memoryMiB, 128, 10240, 'MiB');

    this.logGroup = new logs.LogGroup(this, 'LogGroup', { retention: settings.logRetention });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
      // Inline in the role itself (not its default policy): Lambda checks these permissions when
      // the function is created, before a separate policy resource would exist.
      inlinePolicies: settings.vpc
        ? {
            VpcAccess: new iam.PolicyDocument({
              statements: [
                new iam.PolicyStatement({ actions: VPC_ACCESS_ACTIONS, resources: ['*'] }),
              ],
            }),
          }
        : undefined,
    });
    this.grantPrincipal = this.role;

    this.function = new NodejsFunction(this, 'Function', {
      entry: settings.entry,
      handler: settings.handler,
      functionName: settings.functionName,
      description: settings.description,
      runtime: FUNCTION_RUNTIME,
      architecture: settings.architecture,
      timeout: Duration.seconds(settings.timeoutSec),
      memorySize: settings.memoryMiB,
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      ...(settings.vpc
        ? {
            vpc: settings.vpc,
            vpcSubnets: settings.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
            securityGroups: [...(settings.securityGroups ?? [])],
          }
        : {}),
      layers: [...settings.layers],
      environment: { ...settings.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        minify: true,
        sourceMap: true,
        target: FUNCTION_ESBUILD_TARGET,
        format: OutputFormat.CJS,
        // esbuild's summary on every synth is noise; errors still stop the synth.
        logLevel: LogLevel.ERROR,
        externalModules: [...settings.externalModules],
      },
    });
    this.logGroup.grantWrite(this.role);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only for actions without resource-level permissions: X-Ray PutTraceSegments/' +
        'PutTelemetryRecords for active tracing and, for a function in the VPC, the EC2 ' +
        'network-interface actions Lambda needs to attach it (what ' +
        'AWSLambdaVPCAccessExecutionRole grants).',
    });
  }

  /**
   * Lets `grantee` invoke the function.
   * @example
   * plan.grantInvoke(etlStateMachine);
   */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.function.grantInvoke(grantee);
  }
}

/** `props` without its `undefined` values, so they do not override the defaults. */
function definedOnly<T extends object>(props: T): T {
  return Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined)) as T;
}

/** Throws unless `value` is a whole number within `[min, max]`. */
function checkRange(name: string, value: number, min: number, max: number, unit: string): void {
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new Error(
      `ThermoclineFunction ${name} is ${value}; use a whole number of ${unit} from ${min} to ${max}`,
    );
  }
}
