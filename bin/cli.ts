// Entry point of the `thermocline` CLI (see bin/thermocline-cli.cjs).
import { runCli } from '#cli/main';

void runCli(process.argv).then((code) => {
  process.exitCode = code;
});
