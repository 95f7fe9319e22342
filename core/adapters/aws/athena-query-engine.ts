import { randomUUID } from 'node:crypto';
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type ColumnInfo,
  type QueryExecution,
  type Row,
} from '@aws-sdk/client-athena';
import {
  LAKE_TIMEOUT_SETTING,
  LakeScanStoppedError,
  QueryCancelledError,
  QueryFailedError,
  StatementTimeoutError,
} from '#core/query/engine-errors';
import { jsonSafeIntegerText } from '#core/query/rows';
import { rewritePlaceholders } from '#core/query/sql-text';
import type {
  LakeQuery,
  LakeQueryEngine,
  QueryColumn,
  QueryParam,
  QueryResult,
  QueryRow,
} from '#ports/query-engine';

/** Options of {@link AthenaQueryEngine}. */
export interface AthenaQueryEngineOptions {
  /** The workgroup queries run in (its result location, encryption and per-query cutoff apply). */
  readonly workGroup: string;
  /** The Glue database of the lake tables. */
  readonly database: string;
  /** The data catalog. @default 'AwsDataCatalog' */
  readonly catalog?: string;
  /**
   * GetQueryExecution polling: the first wait, growing ×1.5 up to `max`.
   * @default { initial: 200, max: 2000 }
   */
  readonly pollMs?: { readonly initial: number; readonly max: number };
  /**
   * Athena answers an identical query from a result at most this old (ResultReuseByAge);
   * 0 turns result reuse off.
   * @default 1440 - one day
   */
  readonly resultReuseMaxAgeMinutes?: number;
  /**
   * Attempts of a throttled StartQueryExecution/GetQueryExecution/GetQueryResults call (the
   * SDK's own retries come first), with a backoff from 200 ms doubling.
   * @default 5
   */
  readonly throttleAttempts?: number;
}

const ENGINE = 'athena';
/** Rows per GetQueryResults page: the API maximum. */
const PAGE_ROWS = 1000;
const THROTTLE_BASE_MS = 200;
const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ThrottledException',
  'RequestLimitExceeded',
]);
/** Athena's ErrorCategory of a query's own fault (syntax, semantics, permissions). */
const USER_ERROR = 2;

/**
 * The lake engine on Amazon Athena. A query starts in the workgroup with the Glue database as
 * its context, Athena's result reuse on (ResultReuseByAge) and a ClientRequestToken, so a
 * retried start never runs the query twice. Positional parameters become Athena execution
 * parameters: every `$n` outside literals and comments is rewritten to `?` in text order and
 * the value rendered as an SQL literal ({@link athenaLiteral}); values never enter the SQL text.
 *
 * The query is polled with GetQueryExecution (200 ms growing ×1.5 to 2 s by default); once its
 * DataScannedInBytes passes `maxScanBytes` it is stopped (StopQueryExecution) and
 * {@link LakeScanStoppedError} names the query id and the bytes (a query that finishes between two
 * polls is not stopped: its rows come back with the bytes it scanned; the workgroup's per-query
 * cutoff is the hard limit). A query still running `timeoutMs` after it started is stopped the
 * same way and fails with {@link StatementTimeoutError}. FAILED or CANCELLED raise
 * {@link QueryFailedError} with Athena's reason (400 for the query's fault, 502 otherwise); an
 * aborted signal stops the query. Results are read with GetQueryResults page by page (the
 * header row of the first page skipped) and typed from ResultSetMetadata: integers as numbers
 * (bigint as text beyond 2^53), decimals as exact strings, booleans, doubles, `date` as
 * `YYYY-MM-DD`, `timestamp` as ISO 8601 with `Z`, a timestamp with time zone as its instant in
 * UTC, varbinary as base64 — the same JSON as the local engine's for the same query; arrays,
 * maps and rows stay in Athena's text form (`[a, b]`, `{k=v}`), which does not round-trip to JSON
 * reliably (cast them to JSON for the same JSON in both runtimes; docs/query-api.md "Athena parity").
 * @example
 * const engine = new AthenaQueryEngine(new AthenaClient({}), { workGroup: 'thermocline', database: 'thermocline_lake' });
 * const result = await engine.run({
 *   sql: "SELECT membercode, count(*) AS n FROM events WHERE event_type = $1 AND dt BETWEEN '2025-02-01' AND '2025-02-15' GROUP BY 1",
 *   params: ['GameOpened'], maxScanBytes: 10e9, scans: [],
 * });
 */
export class AthenaQueryEngine implements LakeQueryEngine {
  readonly name = ENGINE;
  private readonly catalog: string;
  private readonly pollInitialMs: number;
  private readonly pollMaxMs: number;
  private readonly reuseMinutes: number;
  private readonly throttleAttempts: number;

  constructor(
    private readonly client: AthenaClient,
    private readonly options: AthenaQueryEngineOptions,
  ) {
    this.catalog = options.catalog ?? 'AwsDataCatalog';
    this.pollInitialMs = options.pollMs?.initial ?? 200;
    this.pollMaxMs = options.pollMs?.max ?? 2000;
    this.reuseMinutes = options.resultReuseMaxAgeMinutes ?? 60 * 24;
    this.throttleAttempts = options.throttleAttempts ?? 5;
  }

  async run(query: LakeQuery): Promise<QueryResult> {
    const { signal } = query;
    if (signal?.aborted) throw new QueryCancelledError(ENGINE);
    const { sql, parameters } = toExecutionParameters(query.sql, query.params);
    const token = randomUUID();
    const started = await this.withThrottleRetry(signal, () =>
      this.client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          ClientRequestToken: token,
          WorkGroup: this.options.workGroup,
          QueryExecutionContext: { Database: this.options.database, Catalog: this.catalog },
          ResultReuseConfiguration: {
            ResultReuseByAgeConfiguration:
              this.reuseMinutes > 0
                ? { Enabled: true, MaxAgeInMinutes: this.reuseMinutes }
                : { Enabled: false },
          },
          ...(parameters.length > 0 ? { ExecutionParameters: parameters } : {}),
        }),
        { abortSignal: signal },
      ),
    );
    const queryId = started.QueryExecutionId;
    if (!queryId) throw new QueryFailedError(ENGINE, 'Athena returned no QueryExecutionId', 502);
    const deadline = query.timeoutMs === undefined ? undefined : Date.now() + query.timeoutMs;
    const execution = await this.waitFor(queryId, query.maxScanBytes, signal, {
      deadline,
      timeoutMs: query.timeoutMs ?? 0,
    });
    const { columns, rows } = await this.results(queryId, signal);
    const statistics = execution.Statistics;
    return {
      columns,
      rows,
      bytesScanned: statistics?.DataScannedInBytes ?? 0,
      engineMs: statistics?.EngineExecutionTimeInMillis ?? 0,
      reused: statistics?.ResultReuseInformation?.ReusedPreviousResult ?? false,
      queryId,
    };
  }

  /** Nothing to release: the client belongs to the caller. */
  async close(): Promise<void> {}

  /** Polls until SUCCEEDED; stops the query over the limit, past its deadline or on abort. */
  private async waitFor(
    queryId: string,
    maxScanBytes: number,
    signal: AbortSignal | undefined,
    timeout: { readonly deadline: number | undefined; readonly timeoutMs: number },
  ): Promise<QueryExecution> {
    let waitMs = this.pollInitialMs;
    for (;;) {
      const { QueryExecution: execution } = await this.withThrottleRetry(signal, () =>
        this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId })),
      ).catch(async (error: unknown) => {
        if (signal?.aborted) await this.stop(queryId);
        throw error;
      });
      const state = execution?.Status?.State;
      const scanned = execution?.Statistics?.DataScannedInBytes ?? 0;
      if (state === 'SUCCEEDED' && execution) return execution;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const status = execution?.Status;
        const reason =
          status?.AthenaError?.ErrorMessage ??
          status?.StateChangeReason ??
          `the query was ${state}`;
        const category = status?.AthenaError?.ErrorCategory;
        throw new QueryFailedError(
          ENGINE,
          `${state}: ${reason}`,
          state === 'FAILED' && category === USER_ERROR ? 400 : 502,
          queryId,
        );
      }
      if (scanned > maxScanBytes) {
        await this.stop(queryId);
        throw new LakeScanStoppedError({
          engine: ENGINE,
          queryId,
          bytesScanned: scanned,
          limitBytes: maxScanBytes,
        });
      }
      const remaining = timeout.deadline === undefined ? Infinity : timeout.deadline - Date.now();
      if (remaining <= 0) {
        await this.stop(queryId);
        throw new StatementTimeoutError(ENGINE, timeout.timeoutMs, LAKE_TIMEOUT_SETTING, queryId);
      }
      try {
        await sleep(Math.min(waitMs, remaining), signal);
      } catch {
        await this.stop(queryId);
        throw new QueryCancelledError(ENGINE, queryId);
      }
      waitMs = Math.min(Math.round(waitMs * 1.5), this.pollMaxMs);
    }
  }

  /** StopQueryExecution; a query that already finished cannot be stopped, which is fine. */
  private async stop(queryId: string): Promise<void> {
    await this.client
      .send(new StopQueryExecutionCommand({ QueryExecutionId: queryId }))
      .catch(() => undefined);
  }

  /** Every page of the result, typed from its metadata. */
  private async results(
    queryId: string,
    signal: AbortSignal | undefined,
  ): Promise<{ columns: QueryColumn[]; rows: QueryRow[] }> {
    let token: string | undefined;
    let info: ColumnInfo[] | undefined;
    let first = true;
    const rows: QueryRow[] = [];
    do {
      if (signal?.aborted) throw new QueryCancelledError(ENGINE, queryId);
      const page = await this.withThrottleRetry(signal, () =>
        this.client.send(
          new GetQueryResultsCommand({
            QueryExecutionId: queryId,
            MaxResults: PAGE_ROWS,
            NextToken: token,
          }),
        ),
      );
      info ??= page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      const pageRows = page.ResultSet?.Rows ?? [];
      // The first page of a SELECT starts with the header row (the column labels).
      const data = first ? pageRows.slice(1) : pageRows;
      for (const row of data) rows.push(typedRow(row, info));
      first = false;
      token = page.NextToken;
    } while (token);
    const columns = (info ?? []).map((c, i) => ({
      name: c.Name ?? `_col${i}`,
      type: athenaTypeName(c),
    }));
    return { columns, rows };
  }

  /** Retries an Athena call that was throttled, with a doubling backoff. */
  private async withThrottleRetry<T>(
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        if (!isThrottling(error) || attempt >= this.throttleAttempts) throw error;
        await sleep(THROTTLE_BASE_MS * 2 ** (attempt - 1), signal);
      }
    }
  }
}

function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const retryable = (error as { $retryable?: { throttling?: boolean } }).$retryable;
  return THROTTLING_ERRORS.has(error.name) || retryable?.throttling === true;
}

/** Waits, or rejects at once when the signal aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new QueryCancelledError(ENGINE));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new QueryCancelledError(ENGINE));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The statement with `?` for each `$n` (in text order, outside literals and comments) and the
 * execution parameters: the literal of `params[n-1]` for each occurrence.
 * @example
 * toExecutionParameters('SELECT * FROM t WHERE a = $2 AND b = $1', ['x', 3]);
 * // { sql: 'SELECT * FROM t WHERE a = ? AND b = ?', parameters: ['3', "'x'"] }
 */
export function toExecutionParameters(
  sql: string,
  params: readonly QueryParam[],
): { sql: string; parameters: string[] } {
  const parameters: string[] = [];
  const rewritten = rewritePlaceholders(sql, (index) => {
    if (index < 1 || index > params.length) {
      throw new QueryFailedError(
        ENGINE,
        `the statement uses $${index} but ${params.length} parameter(s) were bound; bind one value per $n`,
        400,
      );
    }
    parameters.push(athenaLiteral(params[index - 1] ?? null));
    return '?';
  });
  return { sql: rewritten, parameters };
}

/**
 * A parameter as the SQL literal Athena substitutes for `?`: strings quoted with `'` doubled,
 * numbers as written (NaN and ±Infinity as `nan()`, `infinity()`, `-infinity()`), booleans,
 * NULL, and lists as `ARRAY[…]` (use them as `contains($1, col)` in Athena SQL).
 * @example
 * athenaLiteral("O'Brien"); // "'O''Brien'"
 * athenaLiteral(['a', 'b']); // "ARRAY['a', 'b']"
 */
export function athenaLiteral(value: QueryParam): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan()';
    if (!Number.isFinite(value)) return value > 0 ? 'infinity()' : '-infinity()';
    return String(value);
  }
  return `ARRAY[${value.map((v) => athenaLiteral(v)).join(', ')}]`;
}

/** The column's type name: Athena's, with precision and scale for decimals. */
function athenaTypeName(column: ColumnInfo): string {
  const type = (column.Type ?? 'varchar').toLowerCase();
  return type === 'decimal' ? `decimal(${column.Precision ?? 38},${column.Scale ?? 0})` : type;
}

function typedRow(row: Row, info: readonly ColumnInfo[]): QueryRow {
  const out: QueryRow = {};
  info.forEach((column, i) => {
    const datum = row.Data?.[i];
    out[column.Name ?? `_col${i}`] =
      datum?.VarCharValue === undefined ? null : athenaValue(datum.VarCharValue, column.Type);
  });
  return out;
}

/**
 * A text value of GetQueryResults as a JSON-safe value of its column type.
 * @example
 * athenaValue('2025-02-15 07:30:00.000', 'timestamp'); // '2025-02-15T07:30:00.000Z'
 */
export function athenaValue(text: string, type: string | undefined): unknown {
  switch ((type ?? '').toLowerCase()) {
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'int':
      return Number(text);
    case 'bigint':
      return jsonSafeIntegerText(text);
    case 'double':
    case 'float':
    case 'real': {
      const number = Number(text);
      return Number.isFinite(number) ? number : text;
    }
    case 'boolean':
      return text === 'true';
    case 'timestamp':
      return isoTimestamp(text);
    case 'timestamp with time zone':
      return utcTimestamp(text);
    case 'varbinary':
      return base64FromHex(text);
    default:
      return text;
  }
}

/**
 * Athena's text of varbinary — bytes in hex separated by spaces (`68 65 6c 6c 6f`) — as base64,
 * the binary form of every engine's rows.
 */
function base64FromHex(text: string): string {
  const hex = text.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) return text;
  return Buffer.from(hex, 'hex').toString('base64');
}

/**
 * `2025-02-15 07:30:00.000 <zone>` (a zone name, an offset or UTC) as the instant in ISO 8601
 * UTC: every engine gives a timestamp with time zone as its instant, `2025-02-15T07:30:00.000Z`.
 * Text that is not of that form is returned as it is.
 */
function utcTimestamp(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?) (\S+)$/.exec(text);
  if (!match) return text;
  const [, local = '', zone = ''] = match;
  const iso = isoTimestamp(local);
  if (zone === 'UTC' || zone === 'Z' || /^[+-]00:00$/.test(zone)) return iso;
  const offsetMinutes = /^([+-])(\d{2}):(\d{2})$/.exec(zone);
  const wallMs = Date.parse(iso);
  let utcMs: number;
  if (offsetMinutes) {
    const [, sign, hours = '0', minutes = '0'] = offsetMinutes;
    utcMs = wallMs - (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes)) * 60_000;
  } else {
    const offset = zoneOffsetMs(zone, wallMs);
    if (offset === undefined) return text;
    utcMs = wallMs - offset;
    const corrected = zoneOffsetMs(zone, utcMs);
    if (corrected !== undefined && corrected !== offset) utcMs = wallMs - corrected;
  }
  // Keep the text's fraction digits (microseconds, nanoseconds) as they were.
  const fraction = /\.(\d+)Z$/.exec(iso)?.[1] ?? '000';
  return `${new Date(utcMs).toISOString().slice(0, 19)}.${fraction}Z`;
}

/** The offset of an IANA zone from UTC at an instant, in milliseconds (undefined: unknown zone). */
function zoneOffsetMs(zone: string, atMs: number): number | undefined {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(new Date(Math.floor(atMs / 1000) * 1000));
  } catch {
    return undefined;
  }
  const field = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(
    field('year'),
    field('month') - 1,
    field('day'),
    field('hour'),
    field('minute'),
    field('second'),
  );
  return wall - Math.floor(atMs / 1000) * 1000;
}

/** `2025-02-15 07:30:00.000` (UTC wall time) → `2025-02-15T07:30:00.000Z`; any fraction digits kept, at least three. */
function isoTimestamp(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?$/.exec(text);
  if (!match) return text;
  const fraction = (match[3] ?? '.000').padEnd(4, '0');
  return `${match[1]}T${match[2]}${fraction}Z`;
}
