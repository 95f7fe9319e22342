import { Command, CommanderError } from 'commander';
import { registerDoctor } from '#cli/commands/doctor';
import { registerEtl } from '#cli/commands/etl';
import { registerLake } from '#cli/commands/lake';
import { registerPurge } from '#cli/commands/purge';
import { registerVerify } from '#cli/commands/verify';
import { registerQuery } from '#cli/commands/query';
import { registerServe } from '#cli/commands/serve';
import { registerSeed } from '#cli/commands/seed';
import { registerStatus } from '#cli/commands/status';
import { registerSync } from '#cli/commands/sync';
import { registerUp } from '#cli/commands/up';
import { ConfigError } from '#core/config/resolve';
import { ThermoclineError } from '#core/errors';
import { packageVersion } from '#runtime/local/config';
import { fileSystemError } from '#runtime/local/local-runtime';

/** Builds the `thermocline` command line. Commands appear here when they work, never as stubs. */
export function buildProgram(): Command {
  const program = new Command()
    .name('thermocline')
    .description(
      'Hot/cold data platform: PostgreSQL hot, Parquet lake cold, Athena (DuckDB locally) under hard scan limits.',
    )
    .option(
      '--config <file>',
      'config file (default: $THERMOCLINE_CONFIG, then ./thermocline.config.json)',
    )
    .option(
      '--home <dir>',
      'local state directory (default: $THERMOCLINE_HOME, then ./.thermocline)',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ npx thermocline up                          # what npm start runs
  $ npx thermocline seed --days 120 --scale 1
  $ npx thermocline seed --reset --json

Exit codes: 0 ok, 1 failed, 2 bad input (flags, config), 3 database unreachable.`,
    );
  registerUp(program);
  registerSeed(program);
  registerEtl(program);
  registerSync(program);
  registerPurge(program);
  registerVerify(program);
  registerQuery(program);
  registerServe(program);
  registerLake(program);
  registerDoctor(program);
  registerStatus(program);
  const override = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}

/**
 * Runs the CLI and resolves to the process exit code. Errors print a message that says what to
 * change (as JSON on stdout when `--json` was given); a stack trace only with THERMOCLINE_DEBUG=1.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    await buildProgram().parseAsync([...argv]);
    // A command that finished but had failures (e.g. some table-days) set process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      // Help and version end here too, with exit code 0.
      return thrown.exitCode === 0 ? 0 : 2;
    }
    // A read-only, full or forbidden file system: the real cause and the fix, exit 2.
    const error =
      thrown instanceof ThermoclineError
        ? thrown
        : (fileSystemError(thrown, process.env.THERMOCLINE_HOME ?? '.thermocline') ?? thrown);
    const { code, exitCode } =
      error instanceof ThermoclineError
        ? error
        : error instanceof ConfigError
          ? { code: 'config', exitCode: 2 }
          : { code: 'internal', exitCode: 1 };
    const message = (error as Error).message ?? String(error);
    if (json) {
      process.stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
    } else {
      process.stderr.write(`thermocline: ${message}\n`);
    }
    if (process.env.THERMOCLINE_DEBUG === '1') process.stderr.write(`${(error as Error).stack}\n`);
    return exitCode;
  }
}
