/**
 * The CDK app: `npx cdk synth|deploy -c env=dev|staging|prod` (dev when omitted).
 *
 * Reads the environment name from the context and the configuration the way the CLI does
 * (`$THERMOCLINE_CONFIG`, else `./thermocline.config.json`, else the defaults), validates both,
 * and passes the environment's settings down to the stacks as typed props. No context lookups:
 * synthesis works offline, also for an environment pinned to an account and region in the config
 * (its VPC zones come from the config). A bad environment name or config file ends the
 * app with its message (no stack trace) and exit code 2.
 */
import { App } from 'aws-cdk-lib';
import { loadConfig } from '#runtime/local/config';
import { ThermoclineError, UsageError } from '#core/errors';
import { addThermoclineStacks } from '#lib/thermocline-app';

try {
  const app = new App();
  const config = loadConfig({ cwd: process.cwd(), env: process.env });
  const duckDbArch: unknown = app.node.tryGetContext('duckdbArch') ?? 'x86_64';
  if (duckDbArch !== 'x86_64' && duckDbArch !== 'arm64') {
    throw new UsageError(
      `duckdbArch ${JSON.stringify(duckDbArch)} is not an architecture; use -c duckdbArch=x86_64 (default) or -c duckdbArch=arm64`,
    );
  }
  addThermoclineStacks(app, {
    envName: app.node.tryGetContext('env') ?? 'dev',
    config,
    duckDbArchitecture: duckDbArch,
  });
  app.synth();
} catch (error) {
  if (!(error instanceof ThermoclineError)) throw error;
  console.error(`thermocline: ${error.message}`);
  process.exitCode = error.exitCode;
}
