import { appendFile, mkdir } from 'node:fs/promises';
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

  async notify(subject: string, message: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const at = new Date().toISOString();
    await appendFile(this.path, `${JSON.stringify({ at, subject, message })}\n`);
    this.echo(`ALERT ${subject}: ${message}`);
  }
}
