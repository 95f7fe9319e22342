import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { resolveConfig } from '#core/config/resolve';
import { addThermoclineStacks, type ThermoclineStacks } from '#lib/thermocline-app';
import cdkJson from '../../cdk.json';

/** The deployable environments. */
export const ENVS = ['dev', 'staging', 'prod'] as const;
export type Env = (typeof ENVS)[number];

/** An environment's stacks, synthesized (with the cdk-nag checks unless turned off). */
export interface SynthesizedApp {
  readonly stacks: ThermoclineStacks;
  readonly assembly: CloudAssembly;
}

/** Apps for one test file: all under one temporary folder that `cleanup` removes. */
export interface CdkTestKit {
  /** A new app with cdk.json's context (the feature flags `cdk synth` uses). */
  newApp(): App;
  /** Builds and synthesizes an environment with a config file's content. */
  synthesize(envName: string, userConfig?: unknown, nag?: boolean): SynthesizedApp;
  /** The environment with the default config, synthesized once and shared. */
  synth(envName: Env): SynthesizedApp;
  cleanup(): void;
}

/**
 * The CDK test kit: apps with cdk.json's context, each environment synthesized once.
 * @example
 * const kit = cdkTestKit('storage');
 * afterAll(kit.cleanup);
 * const template = Template.fromStack(kit.synth('dev').stacks.storage);
 */
export function cdkTestKit(name: string): CdkTestKit {
  const outRoot = mkdtempSync(join(tmpdir(), `thermocline-cdk-${name}-`));
  // No asset bundling in unit tests (`aws:cdk:bundling-stacks` empty): the templates are the
  // same, and esbuild plus the 70 MB DuckDB layer copy per synth would dominate CI's time.
  // `cdk synth` in CI bundles every function for real.
  const newApp = (): App =>
    new App({
      outdir: mkdtempSync(join(outRoot, 'app-')),
      context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
    });
  const synthesize = (envName: string, userConfig: unknown = {}, nag = true): SynthesizedApp => {
    const app = newApp();
    const stacks = addThermoclineStacks(app, {
      envName,
      config: resolveConfig(userConfig, 'test config'),
      nag,
    });
    return { stacks, assembly: app.synth() };
  };
  const cache = new Map<Env, SynthesizedApp>();
  return {
    newApp,
    synthesize,
    synth: (envName) => {
      let result = cache.get(envName);
      if (!result) {
        result = synthesize(envName);
        cache.set(envName, result);
      }
      return result;
    },
    cleanup: () => rmSync(outRoot, { recursive: true, force: true }),
  };
}

/** An environment's stacks, with one stack's template and the app's assembly. */
export type StackView = ThermoclineStacks & {
  readonly template: Template;
  readonly assembly: CloudAssembly;
};

/**
 * The kit's apps seen through one stack: `synth(env).template` is that stack's template, and the
 * other stacks stay reachable (`synth(env).database`). Templates are built once per app.
 * @example
 * const { synth } = stackViews(kit, 'storage');
 * synth('prod').template.hasResourceProperties('AWS::S3::Bucket', { … });
 */
export function stackViews(
  kit: CdkTestKit,
  key: 'storage' | 'database' | 'monitoring' | 'pipeline' | 'query',
): {
  synthesize(envName: string, userConfig?: unknown, nag?: boolean): StackView;
  synth(envName: Env): StackView;
} {
  const views = new WeakMap<SynthesizedApp, StackView>();
  const view = (app: SynthesizedApp): StackView => {
    let result = views.get(app);
    if (!result) {
      result = {
        ...app.stacks,
        template: Template.fromStack(app.stacks[key]),
        assembly: app.assembly,
      };
      views.set(app, result);
    }
    return result;
  };
  return {
    synthesize: (envName, userConfig, nag) => view(kit.synthesize(envName, userConfig, nag)),
    synth: (envName) => view(kit.synth(envName)),
  };
}

/**
 * The tests every stack shares, registered in the calling `describe`: its name per environment,
 * no account or region (env-agnostic), and termination protection — in prod only for the
 * stateful stacks, never for the stateless ones.
 * @example
 * describe('per environment', () => stackPerEnvironmentTests(synth, 'storage', 'Storage', true));
 */
export function stackPerEnvironmentTests(
  synth: (envName: Env) => StackView,
  key: 'storage' | 'database' | 'monitoring' | 'pipeline' | 'query',
  suffix: string,
  stateful: boolean,
): void {
  const stackOf = (env: Env) => {
    const view = synth(env);
    return view.assembly.getStackByName(view[key].stackName);
  };

  test(`stacks are named Thermocline-<env>-${suffix}`, () => {
    expect(ENVS.map((env) => synth(env)[key].stackName)).toEqual(
      ENVS.map((env) => `Thermocline-${env}-${suffix}`),
    );
  });

  test('stacks are environment-agnostic (no account or region)', () => {
    expect(stackOf('prod').environment).toMatchObject({
      account: 'unknown-account',
      region: 'unknown-region',
    });
  });

  test.each(ENVS)(
    `%s: termination protection ${stateful ? 'in prod only (stateful stack)' : 'off (stateless stack)'}`,
    (env) => {
      expect(stackOf(env).terminationProtection).toBe(stateful && env === 'prod');
    },
  );
}

/** A construct's logical ID in its stack's template. */
export function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** A dev app without cdk-nag plus a `Consumer` stack holding a role, for testing grants. */
export function grantFixture(
  kit: CdkTestKit,
  service = 'lambda.amazonaws.com',
): { stacks: ThermoclineStacks; stack: Stack; role: iam.Role } {
  const app = kit.newApp();
  const stacks = addThermoclineStacks(app, {
    envName: 'dev',
    config: resolveConfig({}, 'test'),
    nag: false,
  });
  const stack = new Stack(app, 'Consumer');
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal(service) });
  return { stacks, stack, role };
}

/** Every IAM policy statement of a stack. */
export function policyStatements(stack: Stack): unknown[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  return Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
        .Statement,
  );
}

/**
 * The AwsSolutions violations left unacknowledged, from the assembly's `validation-report.json`
 * (cdk-nag 3's report) — only those in `stackName` when given.
 */
export function nagViolations(assembly: CloudAssembly, stackName?: string): unknown[] {
  const report = JSON.parse(
    readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'),
  ) as {
    pluginReports: {
      pluginName: string;
      violations: { violatingConstructs: { constructPath: string }[] }[];
    }[];
  };
  return report.pluginReports
    .filter((r) => r.pluginName === 'AwsSolutions')
    .flatMap((r) => r.violations)
    .filter(
      (v) =>
        stackName === undefined ||
        v.violatingConstructs.some((c) => c.constructPath.startsWith(`${stackName}/`)),
    );
}

/** The rule IDs acknowledged on a construct, with their reasons. */
export function acknowledged(construct: IConstruct): Record<string, string> {
  return Object.assign(
    {},
    ...construct.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .map((m) => m.data as Record<string, string>),
  ) as Record<string, string>;
}

/**
 * The properties of the Lambda function whose name ends with `suffix` (e.g. `etl-export`).
 * @throws Error naming the suffix when no function has such a name.
 * @example
 * functionProperties(template, 'query-api')['MemorySize']; // 1024
 */
export function functionProperties(template: Template, suffix: string): Record<string, unknown> {
  const found = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
    String((f as { Properties: { FunctionName?: unknown } }).Properties.FunctionName).endsWith(
      suffix,
    ),
  ) as { Properties: Record<string, unknown> } | undefined;
  if (!found) throw new Error(`no function named …${suffix}`);
  return found.Properties;
}
