/**
 * `thermocline doctor --env E`: checks a deployed environment with the caller's AWS credentials
 * (the standard chain: AWS_PROFILE, SSO, environment, instance role) and prints a pass/fail table
 * with the fix of each failure. The first thing to run after `cdk deploy`.
 */
import type { Command } from 'commander';
import { createContext, type GlobalOptions } from '#cli/context';
import { formatTable, print, printJson } from '#cli/output';
import { awsDoctorClients, runDoctor, type DoctorCheck } from '#runtime/local/remote';
import { environmentConfig } from '#core/config/resolve';
import { UsageError } from '#core/errors';

interface DoctorFlags {
  readonly env?: string;
  readonly region?: string;
  readonly json?: boolean;
}

/** The checks as a table for people, then the fix of each failure. */
export function describeChecks(envName: string, checks: readonly DoctorCheck[]): string[] {
  const failed = checks.filter((c) => !c.ok);
  const lines = [
    formatTable(
      ['check', 'result', 'detail'],
      checks.map((c) => [c.name, c.ok ? 'PASS' : 'FAIL', c.detail]),
    ),
    '',
  ];
  if (failed.length === 0) {
    lines.push(`${envName}: all ${checks.length} checks passed.`);
  } else {
    lines.push(`${envName}: ${failed.length} of ${checks.length} checks failed. To fix:`);
    for (const check of failed) lines.push(`  ${check.name}: ${check.fix ?? 'see the detail'}`);
  }
  return lines;
}

/** Registers `doctor`. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check a deployed environment with your AWS credentials: stacks and outputs, bucket policies, the Athena workgroup cutoff, Glue, state machines, a Data API round trip, a signed API estimate, schedules',
    )
    .requiredOption('--env <name>', 'the environment deployed with cdk deploy -c env=<name>')
    .option('--region <region>', 'its region (default: AWS_REGION, then your profile)')
    .option('--json', 'print the checks as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ npx cdk deploy --all -c env=dev && npx thermocline doctor --env dev
  $ AWS_PROFILE=prod-readonly npx thermocline doctor --env prod --json

Read-only: the only statement it runs is SELECT 1. Exit codes: 0 all passed, 1 a check failed,
2 bad input.`,
    )
    .action(async (flags: DoctorFlags, command: Command) => {
      const context = createContext(command.optsWithGlobals<GlobalOptions>());
      const envName = flags.env ?? '';
      if (!['dev', 'staging', 'prod'].includes(envName)) {
        throw new UsageError(`--env must be dev, staging or prod; got '${envName}'`);
      }
      const environment = environmentConfig(context.config, envName);
      const checks = await runDoctor(awsDoctorClients(flags.region), {
        envName,
        scanCutoffGb: environment.scan_cutoff_gb,
        schedules: environment.schedules,
      });
      const ok = checks.every((c) => c.ok);
      if (flags.json) printJson({ env: envName, ok, checks });
      else print(...describeChecks(envName, checks));
      if (!ok) process.exitCode = 1;
    });
}
