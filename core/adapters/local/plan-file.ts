/** Reading a query plan from a JSON file (`thermocline query --plan FILE`). */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '#core/errors';
import { firstJsonErrorPosition, lineAndColumn } from '#core/json-syntax';

/**
 * The parsed JSON of a plan file. A missing file or a JSON syntax error throws a UsageError
 * naming the file and, for bad JSON, the line and column; the plan itself is validated by the
 * query service.
 * @example
 * const plan = await readPlanFile('plans/top-members.json'); // { steps: [...] }
 */
export async function readPlanFile(path: string): Promise<unknown> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `plan file ${absolute} does not exist; give the path of a JSON plan, e.g. --plan plan.json`
        : `cannot read plan file ${absolute}: ${(error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const { line, column } = lineAndColumn(text, firstJsonErrorPosition(text));
    throw new UsageError(
      `plan file ${absolute} is not valid JSON at line ${line}, column ${column} ` +
        `(${(error as Error).message}); fix the JSON there`,
    );
  }
}
