/**
 * Example requests that work against what the lake holds right now: `npm start` and
 * `thermocline serve` print them as curl lines. The dates come from the catalog's published
 * partitions, so the examples never name a day the lake does not have.
 */
import type { Catalog } from '#ports/catalog';

/** One example request. */
export interface ApiExample {
  readonly description: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
}

/** The lake table and event type the seed's examples read. */
const EVENTS_TABLE = 'events';
const EVENT_TYPE = 'GameOpened';
/** How many of the last published days the examples cover. */
const EXAMPLE_DAYS = 7;

/**
 * The seed's Athena step SQL ("Query Plan Integration") over a day range: members by the number
 * of games they opened.
 * @example
 * seedEventsSql('2025-02-08', '2025-02-14');
 * // "SELECT memberCode, count(*) AS games_opened FROM events WHERE event_type = 'GameOpened' AND dt BETWEEN '2025-02-08' AND '2025-02-14' GROUP BY 1"
 */
export function seedEventsSql(from: string, to: string): string {
  return (
    `SELECT memberCode, count(*) AS games_opened FROM ${EVENTS_TABLE} ` +
    `WHERE event_type = '${EVENT_TYPE}' AND dt BETWEEN '${from}' AND '${to}' GROUP BY 1`
  );
}

/**
 * The seed's two-step plan: s1 (AthenaQuery) finds the members who opened the most games in the
 * range, s2 (AuroraQuery) reads their deposits from the hot `members` table, with `$1` bound to
 * every `memberCode` s1 returned.
 * @example
 * seedPlan('2025-02-08', '2025-02-14').steps.map((s) => s.id); // ['s1', 's2']
 */
export function seedPlan(from: string, to: string) {
  return {
    steps: [
      {
        id: 's1',
        type: 'AthenaQuery',
        sql: `${seedEventsSql(from, to)} ORDER BY 2 DESC, 1 LIMIT 10`,
        max_scan_gb: 1,
      },
      {
        id: 's2',
        type: 'AuroraQuery',
        sql: 'SELECT member_code, total_deposit FROM members WHERE member_code = ANY($1) ORDER BY total_deposit DESC',
        bind: { $1: { ref: 's1', field: 'memberCode' } },
      },
    ],
  };
}

/**
 * The day range of the examples: the last {@link EXAMPLE_DAYS} published `dt` values of the
 * `events` table's `GameOpened` partitions, or undefined when the lake has none.
 * @example
 * await exampleDays(catalog); // { from: '2025-02-08', to: '2025-02-14' }
 */
export async function exampleDays(
  catalog: Catalog,
): Promise<{ from: string; to: string } | undefined> {
  const table = await catalog.getTable(EVENTS_TABLE);
  if (!table) return undefined;
  const typeAt = table.partitionKeys.indexOf('event_type');
  const dayAt = table.partitionKeys.indexOf('dt');
  if (typeAt < 0 || dayAt < 0) return undefined;
  const days = (await catalog.listPartitions(EVENTS_TABLE))
    .filter((p) => p.values[typeAt] === EVENT_TYPE)
    .map((p) => p.values[dayAt] ?? '')
    .filter((day) => day !== '')
    .sort();
  const to = days.at(-1);
  const from = days.at(-Math.min(EXAMPLE_DAYS, days.length));
  return from && to ? { from, to } : undefined;
}

/**
 * Two requests that work on the lake as it is: with the sample's events published, a scan
 * estimate of the seed's SQL and the seed's two-step plan over the last published days; with no
 * events in the lake, the catalog and the month's costs.
 * @example
 * const [estimate, plan] = await apiExamples(catalog);
 * curlCommand('http://127.0.0.1:3000', plan);
 */
export async function apiExamples(catalog: Catalog): Promise<ApiExample[]> {
  const days = await exampleDays(catalog);
  if (!days) {
    return [
      { description: 'what the lake and the hot database hold', method: 'GET', path: '/catalog' },
      { description: "this month's query costs by caller", method: 'GET', path: '/costs' },
    ];
  }
  return [
    {
      description: `scan estimate of the example events query, ${days.from} to ${days.to}`,
      method: 'POST',
      path: '/estimate',
      body: { sql: seedEventsSql(days.from, days.to) },
    },
    {
      description:
        'the example plan: top members by games opened (lake), then their deposits (hot)',
      method: 'POST',
      path: '/plans',
      body: seedPlan(days.from, days.to),
    },
  ];
}

/**
 * A POSIX shell word: single-quoted, with each `'` written as `'\''`.
 * @example
 * shellQuote("it's"); // "'it'\\''s'"
 */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The curl command line of an example request (one line, ready to paste into a POSIX shell).
 * @example
 * curlCommand('http://127.0.0.1:3000', { description: '', method: 'GET', path: '/catalog' });
 * // 'curl -s http://127.0.0.1:3000/catalog'
 */
export function curlCommand(baseUrl: string, example: ApiExample): string {
  const url = `${baseUrl}${example.path}`;
  if (example.body === undefined) return `curl -s ${url}`;
  return (
    `curl -s -X ${example.method} ${url} -H 'content-type: application/json' ` +
    `-d ${shellQuote(JSON.stringify(example.body))}`
  );
}
