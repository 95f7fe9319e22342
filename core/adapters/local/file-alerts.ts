import { appendFile } from 'node:fs/promises';
import { makeDirectory } from '#adapters/local/home';
import { dirname } from 'node:path';
import type { Alerts } from '#ports/alerts';

/**
 * Alerts on the local runtime: one JSON line per alert appended to a file (by default
 * `$THERMOCLINE_HOME/alerts.log`) and a line on stderr — what the SNS topic is on AWS.
 * @example
 * await new FileAlerts('.thermocline/alerts.log').notify('ETL failed', '…');
 */
export class FileAlerts implements Alerts {
  constructor(
    readonly path: string,
    private readonly echo: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  /** Echoes the alert first, so a file that cannot be written (a full disk) does not lose it. */
  async notify(subject: string, message: string): Promise<void> {
    this.echo(`ALERT ${subject}: ${message}`);
    await makeDirectory(dirname(this.path));
    const at = new Date().toISOString();
    await appendFile(this.path, `${JSON.stringify({ at, subject, message })}\n`);
  }
}
