/**
 * `thermocline doctor`: checks a deployed environment end to end with the caller's credentials —
 * the stacks and their outputs, the buckets' policies, the Athena workgroup's cutoff and
 * enforcement, the Glue database, the state machines, a Data API round trip, the query API (a
 * SigV4-signed scan estimate), the EventBridge schedules — and says how to fix each failure.
 * Read-only: it changes nothing (the one SQL statement is `SELECT 1`).
 */
import { AthenaClient, GetWorkGroupCommand } from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetDatabaseCommand, GlueClient } from '@aws-sdk/client-glue';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { GetBucketPolicyCommand, GetPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { sigV4Signer } from '#adapters/aws/sigv4-signer';
import { ThermoclineHttpClient } from '#core/client/http-client';
import type { EstimateResponse } from '#core/query/service-contract';
import { SCHEDULE_NAMES, type ScheduleName } from '#core/config/schema';

/** The SDK clients doctor uses, all for the environment's account and region. */
export interface DoctorClients {
  readonly cloudFormation: CloudFormationClient;
  readonly s3: S3Client;
  readonly athena: AthenaClient;
  readonly glue: GlueClient;
  readonly sfn: SFNClient;
  readonly rdsData: RDSDataClient;
  readonly eventBridge: EventBridgeClient;
  /** A scan estimate through the deployed query API at `apiUrl` (SigV4-signed). */
  readonly estimate: (apiUrl: string, sql: string) => Promise<EstimateResponse>;
}

/** What doctor compares the deployment with. */
export interface DoctorOptions {
  /** The environment: `dev`, `staging` or `prod`. */
  readonly envName: string;
  /** The configured bytes-scanned cutoff of the workgroup, in GB (10^9 bytes). */
  readonly scanCutoffGb: number;
  /** Whether each schedule should be enabled (config `environments.<env>.schedules`). */
  readonly schedules: Readonly<Partial<Record<ScheduleName, { readonly enabled: boolean }>>>;
}

/** One check's verdict. */
export interface DoctorCheck {
  /** What was checked, e.g. `Athena workgroup`. */
  readonly name: string;
  readonly ok: boolean;
  /** What was found. */
  readonly detail: string;
  /** How to fix a failure. */
  readonly fix?: string;
}

/** The stacks of an environment, by the suffix of `Thermocline-<env>-<part>`. */
export const STACK_PARTS = ['Storage', 'Database', 'Monitoring', 'Pipeline', 'Query'] as const;

/** The outputs doctor reads, with the stack that writes each. */
const OUTPUTS = {
  LakeBucketName: 'Storage',
  ResultsBucketName: 'Storage',
  GlueDatabaseName: 'Storage',
  WorkgroupName: 'Storage',
  ClusterArn: 'Database',
  SecretArn: 'Database',
  EtlStateMachineArn: 'Pipeline',
  ApiUrl: 'Query',
  PlanStateMachineArn: 'Query',
} as const;

type OutputName = keyof typeof OUTPUTS;

/** The EventBridge rule of each schedule (`lib/pipeline-stack.ts`, `lib/storage-stack.ts`). */
const RULE_SUFFIX: Readonly<Partial<Record<ScheduleName, string>>> = {
  etl: 'etl',
  incremental_sync: 'incremental-sync',
  full_sync: 'full-sync',
  retention: 'retention',
};

/**
 * Runs every check and returns their verdicts in order; a check that cannot run because an
 * earlier one failed (no stack outputs) fails saying so. Never throws for an AWS error: it is the
 * check's detail.
 * @example
 * const checks = await runDoctor(clients, { envName: 'dev', scanCutoffGb: 10, schedules });
 * checks.every((c) => c.ok);
 */
export async function runDoctor(
  clients: DoctorClients,
  options: DoctorOptions,
): Promise<DoctorCheck[]> {
  const deploy = `npx cdk deploy --all -c env=${options.envName}`;
  const outputs = new Map<string, string>();
  const run: DoctorRun = {
    clients,
    options,
    prefix: `thermocline-${options.envName}`,
    deploy,
    outputs,
    output: (name) => outputs.get(name),
    needs: (name, ...names) => {
      const absent = names.filter((n) => !outputs.has(n));
      return absent.length === 0
        ? undefined
        : {
            name,
            ok: false,
            detail: `not checked: no stack output ${absent.join(', ')}`,
            fix: deploy,
          };
    },
  };
  return [
    ...(await checkStacks(run)),
    await checkBucketPolicy(run, 'LakeBucketName'),
    await checkBucketPolicy(run, 'ResultsBucketName'),
    await checkWorkgroup(run),
    await checkGlueDatabase(run),
    await checkStateMachines(run),
    await checkDataApi(run),
    await checkApiEstimate(run),
    await checkSchedules(run),
  ];
}

/** What every check of one doctor run works with. */
interface DoctorRun {
  readonly clients: DoctorClients;
  readonly options: DoctorOptions;
  /** `thermocline-<env>`: the prefix of the state machines' and schedule rules' names. */
  readonly prefix: string;
  /** The command that deploys the environment: the fix of most failures. */
  readonly deploy: string;
  /** The stacks' outputs, filled by {@link checkStacks}. */
  readonly outputs: Map<string, string>;
  output(name: OutputName): string | undefined;
  /** A failed verdict when an output the check needs is missing (it cannot run), else undefined. */
  needs(name: string, ...names: OutputName[]): DoctorCheck | undefined;
}

/** 1. Each stack deployed and complete, its outputs collected; then every output found. */
async function checkStacks(run: DoctorRun): Promise<DoctorCheck[]> {
  const { deploy, outputs } = run;
  const checks: DoctorCheck[] = [];
  for (const part of STACK_PARTS) {
    const stackName = `Thermocline-${run.options.envName}-${part}`;
    checks.push(
      await check(`stack ${stackName}`, deploy, async () => {
        const { Stacks } = await run.clients.cloudFormation.send(
          new DescribeStacksCommand({ StackName: stackName }),
        );
        const stack = Stacks?.[0];
        if (!stack) return fail('not found', deploy);
        for (const output of stack.Outputs ?? []) {
          if (output.OutputKey && output.OutputValue) {
            outputs.set(output.OutputKey, output.OutputValue);
          }
        }
        const status = stack.StackStatus ?? 'unknown';
        if (!/_COMPLETE$/.test(status) || /ROLLBACK|DELETE/.test(status)) {
          return fail(
            `status ${status}${stack.StackStatusReason ? ` (${stack.StackStatusReason})` : ''}`,
            `see the stack's events in the CloudFormation console, fix the cause, then ${deploy}`,
          );
        }
        return pass(status);
      }),
    );
  }
  const missing = (Object.keys(OUTPUTS) as OutputName[]).filter((name) => !outputs.has(name));
  checks.push(
    missing.length === 0
      ? { name: 'stack outputs', ok: true, detail: `${Object.keys(OUTPUTS).length} found` }
      : {
          name: 'stack outputs',
          ok: false,
          detail: `missing ${missing.map((m) => `${m} (${OUTPUTS[m]})`).join(', ')}`,
          fix: `deploy the stacks that write them: ${deploy}`,
        },
  );
  return checks;
}

/** 2. A bucket's policy refuses requests without TLS, and its public access is blocked. */
async function checkBucketPolicy(
  run: DoctorRun,
  key: 'LakeBucketName' | 'ResultsBucketName',
): Promise<DoctorCheck> {
  const { deploy } = run;
  const name = `bucket policy (${key === 'LakeBucketName' ? 'lake' : 'results'})`;
  const bucket = run.output(key);
  return (
    run.needs(name, key) ??
    (await check(name, `redeploy the storage stack to restore it: ${deploy}`, async () => {
      const { Policy } = await run.clients.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
      if (!deniesInsecureTransport(Policy)) {
        return fail(
          `${bucket}: no Deny of requests without TLS (aws:SecureTransport false)`,
          `redeploy the storage stack to restore the TLS-only policy: ${deploy}`,
        );
      }
      const { PublicAccessBlockConfiguration: block } = await run.clients.s3.send(
        new GetPublicAccessBlockCommand({ Bucket: bucket }),
      );
      const open = (
        [
          'BlockPublicAcls',
          'IgnorePublicAcls',
          'BlockPublicPolicy',
          'RestrictPublicBuckets',
        ] as const
      ).filter((flag) => block?.[flag] !== true);
      if (open.length > 0) {
        return fail(
          `${bucket}: public access block off for ${open.join(', ')}`,
          `turn on all four public access block settings of ${bucket} (redeploy: ${deploy})`,
        );
      }
      return pass(`${bucket}: TLS only, public access blocked`);
    }))
  );
}

/** 3. The Athena workgroup: enabled, its configuration enforced, the cutoff as configured. */
async function checkWorkgroup(run: DoctorRun): Promise<DoctorCheck> {
  const { deploy, options } = run;
  const workgroup = run.output('WorkgroupName');
  return (
    run.needs('Athena workgroup', 'WorkgroupName') ??
    (await check('Athena workgroup', deploy, async () => {
      const { WorkGroup } = await run.clients.athena.send(
        new GetWorkGroupCommand({ WorkGroup: workgroup }),
      );
      const configuration = WorkGroup?.Configuration;
      const cutoff = configuration?.BytesScannedCutoffPerQuery;
      const expected = Math.round(options.scanCutoffGb * 1e9);
      const problems = [
        ...(WorkGroup?.State === 'ENABLED' ? [] : [`state ${WorkGroup?.State ?? 'unknown'}`]),
        ...(configuration?.EnforceWorkGroupConfiguration === true
          ? []
          : ['configuration not enforced (clients could lift the cutoff)']),
        ...(cutoff === expected
          ? []
          : [
              `cutoff ${cutoff === undefined ? 'none' : `${cutoff / 1e9} GB`}, ` +
                `configured ${options.scanCutoffGb} GB`,
            ]),
      ];
      return problems.length === 0
        ? pass(`${workgroup}: enforced, cutoff ${options.scanCutoffGb} GB per query`)
        : fail(
            `${workgroup}: ${problems.join('; ')}`,
            `redeploy the storage stack (${deploy}); if the config changed, that is the fix`,
          );
    }))
  );
}

/** 4. The Glue database exists. */
async function checkGlueDatabase(run: DoctorRun): Promise<DoctorCheck> {
  const glueDatabase = run.output('GlueDatabaseName');
  return (
    run.needs('Glue database', 'GlueDatabaseName') ??
    (await check('Glue database', run.deploy, async () => {
      await run.clients.glue.send(new GetDatabaseCommand({ Name: glueDatabase }));
      return pass(`${glueDatabase} exists`);
    }))
  );
}

/** 5. The state machines are active: their ARNs share the ETL machine's, but for the name. */
async function checkStateMachines(run: DoctorRun): Promise<DoctorCheck> {
  const { deploy, prefix } = run;
  const etlArn = run.output('EtlStateMachineArn');
  const planArn = run.output('PlanStateMachineArn');
  const machineArns = [
    ...(etlArn
      ? ['etl', 'sync', 'retention'].map((suffix) =>
          etlArn.replace(/:stateMachine:[^:]+$/, `:stateMachine:${prefix}-${suffix}`),
        )
      : []),
    ...(planArn ? [planArn] : []),
  ];
  return (
    run.needs('state machines', 'EtlStateMachineArn', 'PlanStateMachineArn') ??
    (await check('state machines', deploy, async () => {
      const states: string[] = [];
      const bad: string[] = [];
      for (const arn of machineArns) {
        const name = arn.split(':').at(-1) ?? arn;
        try {
          const machine = await run.clients.sfn.send(
            new DescribeStateMachineCommand({ stateMachineArn: arn }),
          );
          if (machine.status === 'ACTIVE') states.push(name);
          else bad.push(`${name} ${machine.status ?? 'unknown'}`);
        } catch (error) {
          bad.push(`${name}: ${messageOf(error)}`);
        }
      }
      return bad.length === 0
        ? pass(`${states.join(', ')} active`)
        : fail(bad.join('; '), `redeploy the pipeline and query stacks: ${deploy}`);
    }))
  );
}

/** 6. The Data API: a read-only round trip. */
async function checkDataApi(run: DoctorRun): Promise<DoctorCheck> {
  const clusterArn = run.output('ClusterArn');
  const secretArn = run.output('SecretArn');
  return (
    run.needs('Data API', 'ClusterArn', 'SecretArn') ??
    (await check(
      'Data API',
      'check that the cluster has the Data API on (enable-http-endpoint) and that you may use ' +
        'rds-data:ExecuteStatement and read the secret',
      async () => {
        const started = Date.now();
        const { records } = await run.clients.rdsData.send(
          new ExecuteStatementCommand({
            resourceArn: clusterArn,
            secretArn,
            sql: 'SELECT 1 AS ok',
          }),
        );
        const value = records?.[0]?.[0]?.longValue;
        return value === 1
          ? pass(`SELECT 1 answered in ${Date.now() - started} ms`)
          : fail(
              `SELECT 1 answered ${JSON.stringify(records)}`,
              'check the cluster and its secret',
            );
      },
      (error) =>
        /resuming|DatabaseResuming/i.test(`${nameOf(error)} ${messageOf(error)}`)
          ? 'the cluster is resuming from 0 ACU: run doctor again in about 30 seconds'
          : undefined,
    ))
  );
}

/** 7. The query API: a SigV4-signed scan estimate of a statement that reads nothing. */
async function checkApiEstimate(run: DoctorRun): Promise<DoctorCheck> {
  const apiUrl = run.output('ApiUrl');
  return (
    run.needs('query API estimate', 'ApiUrl') ??
    (await check(
      'query API estimate',
      'allow your principal execute-api:Invoke on the API, and check the API function logs',
      async () => {
        const estimate = await run.clients.estimate(apiUrl ?? '', 'SELECT 1');
        return estimate.withinLimit
          ? pass(`POST /estimate: ${estimate.bytes} bytes, limit ${estimate.limitGb} GB`)
          : fail(
              `POST /estimate says SELECT 1 is over the limit (${estimate.limitGb} GB)`,
              'check the environment cutoff (scan_cutoff_gb) in the config',
            );
      },
    ))
  );
}

/** 8. The EventBridge schedules: enabled exactly as configured. */
async function checkSchedules(run: DoctorRun): Promise<DoctorCheck> {
  const { deploy, options, prefix } = run;
  return check('EventBridge schedules', deploy, async () => {
    const wrong: string[] = [];
    const fine: string[] = [];
    for (const schedule of SCHEDULE_NAMES) {
      const suffix = RULE_SUFFIX[schedule];
      const wanted = options.schedules[schedule];
      if (!suffix || !wanted) continue;
      const ruleName = `${prefix}-${suffix}`;
      try {
        const rule = await run.clients.eventBridge.send(
          new DescribeRuleCommand({ Name: ruleName }),
        );
        const expected = wanted.enabled ? 'ENABLED' : 'DISABLED';
        if (rule.State === expected) fine.push(`${ruleName} ${expected.toLowerCase()}`);
        else wrong.push(`${ruleName} is ${rule.State ?? 'unknown'}, configured ${expected}`);
      } catch (error) {
        wrong.push(`${ruleName}: ${messageOf(error)}`);
      }
    }
    return wrong.length === 0
      ? pass(fine.join(', '))
      : fail(
          wrong.join('; '),
          `redeploy (${deploy}) to set the rules as configured, or change ` +
            `environments.${options.envName}.schedules in the config`,
        );
  });
}

/**
 * The clients of {@link runDoctor} for `region` (undefined: the SDK's own region resolution), with
 * the standard credential chain; the estimate goes through the SigV4-signed HTTP client.
 */
export function awsDoctorClients(region: string | undefined): DoctorClients {
  const config = region ? { region } : {};
  const s3 = new S3Client(config);
  // Without --region, the region the SDK resolved for its clients (AWS_REGION, the profile, …).
  const signingRegion = async (): Promise<string> => region ?? (await s3.config.region());
  return {
    cloudFormation: new CloudFormationClient(config),
    s3,
    athena: new AthenaClient(config),
    glue: new GlueClient(config),
    sfn: new SFNClient(config),
    rdsData: new RDSDataClient(config),
    eventBridge: new EventBridgeClient(config),
    estimate: async (apiUrl, sql) =>
      new ThermoclineHttpClient({
        baseUrl: apiUrl,
        signer: sigV4Signer({ region: await signingRegion() }),
        timeoutMs: 30_000,
      }).estimate({ sql }),
  };
}

/** A verdict without a name yet. */
type Verdict = Omit<DoctorCheck, 'name'>;

const pass = (detail: string): Verdict => ({ ok: true, detail });
const fail = (detail: string, fix: string): Verdict => ({ ok: false, detail, fix });

/** Runs one check; an error is a failure with the error's message and `fix` (or `fixOf`'s). */
async function check(
  name: string,
  fix: string,
  run: () => Promise<Verdict>,
  fixOf: (error: unknown) => string | undefined = () => undefined,
): Promise<DoctorCheck> {
  try {
    return { name, ...(await run()) };
  } catch (error) {
    const denied = /AccessDenied|not authorized|UnrecognizedClient|ExpiredToken/i.test(
      `${nameOf(error)} ${messageOf(error)}`,
    );
    return {
      name,
      ok: false,
      detail: `${nameOf(error)}: ${messageOf(error)}`,
      fix:
        fixOf(error) ??
        (denied
          ? 'your credentials may not read this: use a role with read access to the ' +
            'environment (and check AWS_PROFILE / AWS_REGION)'
          : fix),
    };
  }
}

/** Whether a bucket policy denies every request without TLS. */
export function deniesInsecureTransport(policy: string | undefined): boolean {
  if (!policy) return false;
  let statements: unknown;
  try {
    statements = (JSON.parse(policy) as { Statement?: unknown }).Statement;
  } catch {
    return false;
  }
  const list = Array.isArray(statements) ? statements : [statements];
  return list.some((statement) => {
    const s = statement as { Effect?: string; Condition?: Record<string, Record<string, unknown>> };
    const secure = s.Condition?.Bool?.['aws:SecureTransport'];
    return s.Effect === 'Deny' && (secure === 'false' || secure === false);
  });
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
