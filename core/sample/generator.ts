/**
 * The deterministic sample data set: a pure generator of PostgreSQL COPY text for every table
 * of {@link SAMPLE_TABLES}. No I/O: the loader that runs `COPY ... FROM STDIN` lives elsewhere.
 *
 * Determinism rules:
 * - a time-series day is generated from a PRNG keyed `${seed}:${table}:${date}` (plus side
 *   streams keyed the same way for ids other tables refer to), so a date yields the same rows
 *   whatever `days` is; its row count is the first draw of that PRNG;
 * - a reference table is generated from `${seed}:${table}` (its key columns from
 *   `${seed}:${table}:catalog`), so time-series rows only refer to rows that exist;
 * - no clock, no `Math.random`, no transcendental math: the checksum is the same everywhere.
 */
import { createHash } from 'node:crypto';
import { COPY_NULL, copyArray, escapeCopyText } from '#core/sample/copy-text';
import { Prng, weighted, type WeightedTable } from '#core/sample/prng';
import { SAMPLE_TABLES, sampleTable } from '#core/sample/tables';
import { DAY_MS } from '#core/days';

/** What the sample data set depends on. */
export interface SampleOptions {
  /** The seed: any safe integer. */
  seed: number;
  /** How many days of time-series data, ending at `endDate` (1..3650). */
  days: number;
  /** Size multiplier (> 0, <= 100); 1 gives ~6,750 time-series rows a day. */
  scale: number;
  /** The last day, inclusive: `YYYY-MM-DD`, UTC. */
  endDate: string;
}

/** The rows {@link generateTable} will write for a table. */
export interface PlannedRows {
  /** All rows of the table. */
  total: number;
  /** Rows per UTC day (`YYYY-MM-DD`), for time-series tables; empty for reference tables. */
  perDay: Record<string, number>;
}

const DAY_US = 86_400_000_000;
const SECOND_US = 1_000_000;
const MINUTE_US = 60 * SECOND_US;
const HOUR_US = 60 * MINUTE_US;
/** Approximate size of one yielded chunk, in UTF-16 code units. */
const CHUNK_CHARS = 64 * 1024;
const MAX_DAYS = 3650;
const MAX_SCALE = 100;
/** Day number (since 1970-01-01) of 9998-12-31: later timestamps would need a 5-digit year. */
const LAST_END_DAY = Date.UTC(9998, 11, 31) / DAY_MS;

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

interface Resolved {
  readonly seed: number;
  readonly days: number;
  readonly scale: number;
  /** Day numbers (days since 1970-01-01) of the first and last sample day. */
  readonly firstDay: number;
  readonly lastDay: number;
}

function parseDate(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day
  ) {
    return undefined;
  }
  return ms / DAY_MS;
}

function resolveOptions(opts: SampleOptions): Resolved {
  if (typeof opts !== 'object' || opts === null) {
    throw new Error(
      `sample options must be an object { seed, days, scale, endDate }, got ${String(opts)}`,
    );
  }
  const { seed, days, scale, endDate } = opts;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new Error(`sample seed must be a safe integer, got ${String(seed)}; use e.g. 42`);
  }
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new Error(
      `sample days must be an integer from 1 to ${MAX_DAYS}, got ${String(days)}; use e.g. 30`,
    );
  }
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0 || scale > MAX_SCALE) {
    throw new Error(
      `sample scale must be a number > 0 and <= ${MAX_SCALE}, got ${String(scale)}; use e.g. 1 or 0.1`,
    );
  }
  const lastDay = parseDate(endDate);
  if (lastDay === undefined) {
    throw new Error(
      `sample endDate must be a real calendar date written YYYY-MM-DD (UTC), got ${JSON.stringify(endDate)}; use e.g. "2025-01-31"`,
    );
  }
  const firstDay = lastDay - days + 1;
  if (firstDay < 0 || lastDay > LAST_END_DAY) {
    throw new Error(
      `the sample window ${dateText(firstDay)}..${endDate} must lie within 1970-01-01..9998-12-31; change endDate or days`,
    );
  }
  return { seed, days, scale, firstDay, lastDay };
}

// ---------------------------------------------------------------------------------------------
// Formatting (dates, timestamps, money) without Date objects in the hot path
// ---------------------------------------------------------------------------------------------

const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, i) =>
  String(i).padStart(2, '0'),
);
const dateCache = new Map<number, string>();

/** `YYYY-MM-DD` of a day number (days since 1970-01-01), by Hinnant's civil_from_days. */
function dateText(day: number): string {
  const cached = dateCache.get(day);
  if (cached !== undefined) return cached;
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const text = `${String(y).padStart(4, '0')}-${TWO_DIGITS[m]}-${TWO_DIGITS[d]}`;
  if (dateCache.size > 50_000) dateCache.clear();
  dateCache.set(day, text);
  return text;
}

function pad6(n: number): string {
  const s = String(n);
  return '000000'.slice(s.length) + s;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff+00` of microseconds since the epoch (an exact integer). */
function timestampText(us: number): string {
  let day = Math.floor(us / DAY_US);
  let inDay = us - day * DAY_US;
  if (inDay < 0) {
    day -= 1;
    inDay += DAY_US;
  } else if (inDay >= DAY_US) {
    day += 1;
    inDay -= DAY_US;
  }
  const sec = Math.floor(inDay / SECOND_US);
  const micro = inDay - sec * SECOND_US;
  const h = Math.floor(sec / 3600);
  const rest = sec - h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  return `${dateText(day)} ${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[s]}.${pad6(micro)}+00`;
}

/** A non-negative integer amount of cents as `123.45`. */
function money(cents: number): string {
  const whole = Math.floor(cents / 100);
  return `${whole}.${TWO_DIGITS[cents - whole * 100]}`;
}

/** A uniformly random microsecond of the UTC day `day`. */
function timeInDay(rng: Prng, day: number): number {
  return day * DAY_US + rng.int(0, 86_399) * SECOND_US + rng.int(0, 999_999);
}

/** A uniformly random microsecond of a uniformly random day of the sample window. */
function timeInWindow(rng: Prng, r: Resolved): number {
  return timeInDay(rng, r.firstDay + rng.int(0, r.days - 1));
}

/** A string as a JSON string literal, then COPY-escaped: precomputed once per vocabulary word. */
function jsonCopy(value: string): string {
  return escapeCopyText(JSON.stringify(value));
}

// ---------------------------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------------------------

interface TimeseriesSize {
  /** Average rows per day at scale 1 before the weekday factor. */
  readonly base: number;
  /** Factor per day of the week, Sunday first. */
  readonly weekday: readonly number[];
}

const WORKDAY = [0.55, 1.08, 1.12, 1.12, 1.1, 1.0, 0.6];
const LEISURE = [1.2, 0.9, 0.88, 0.9, 0.95, 1.08, 1.28];

const TIMESERIES_SIZES: Readonly<Record<string, TimeseriesSize>> = {
  workflows: { base: 150, weekday: WORKDAY },
  agent_tasks: { base: 1200, weekday: WORKDAY },
  agent_metrics: { base: 1000, weekday: [0.95, 1, 1, 1, 1, 1, 0.95] },
  agent_interactions: { base: 600, weekday: WORKDAY },
  user_sessions: { base: 400, weekday: LEISURE },
  events: { base: 3000, weekday: LEISURE },
};

const REFERENCE_SIZES: Readonly<Record<string, (scale: number) => number>> = {
  agents: (scale) => Math.max(4, Math.round(24 * scale)),
  // At least one member: events must refer to one.
  members: (scale) => Math.max(1, Math.round(5000 * scale)),
  games: (scale) => Math.max(10, Math.round(300 * scale)),
  affiliates: (scale) => Math.max(5, Math.round(50 * scale)),
};

function referenceCount(table: string, scale: number): number {
  const size = REFERENCE_SIZES[table];
  if (!size) throw new Error(`${table} is not a reference table`);
  return size(scale);
}

function dayKey(seed: number, table: string, date: string): string {
  return `${seed}:${table}:${date}`;
}

/** Opens a day: its PRNG (keyed by seed, table, date) and its row count (the first draw). */
function openDay(
  r: Resolved,
  table: string,
  day: number,
): { rng: Prng; count: number; date: string } {
  const size = TIMESERIES_SIZES[table];
  if (!size) throw new Error(`${table} is not a time-series table`);
  const date = dateText(day);
  const rng = new Prng(dayKey(r.seed, table, date));
  const noise = (rng.float() * 2 - 1) * 0.1;
  const factor = size.weekday[(day + 4) % 7] as number;
  const count = Math.max(1, Math.round(size.base * r.scale * factor * (1 + noise)));
  return { rng, count, date };
}

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

const COUNTRIES = weighted<string>([
  ['JP', 24],
  ['TH', 14],
  ['VN', 11],
  ['ID', 10],
  ['MY', 8],
  ['PH', 8],
  ['KR', 6],
  ['IN', 5],
  ['BR', 4],
  ['DE', 3],
  ['GB', 3],
  ['CA', 2],
  ['AU', 2],
]);
const CURRENCY: Readonly<Record<string, string>> = {
  JP: 'JPY',
  TH: 'THB',
  VN: 'VND',
  ID: 'IDR',
  MY: 'MYR',
  PH: 'PHP',
  KR: 'KRW',
  IN: 'INR',
  BR: 'BRL',
  DE: 'EUR',
  GB: 'GBP',
  CA: 'CAD',
  AU: 'AUD',
};

const AGENT_TYPES = ['planner', 'coder', 'reviewer', 'researcher', 'tester'] as const;
type AgentType = (typeof AGENT_TYPES)[number];
const MODELS = weighted<string>([
  ['claude-sonnet-4', 30],
  ['gpt-4o', 25],
  ['gemini-1.5-pro', 15],
  ['claude-haiku-3.5', 12],
  ['llama-3.1-70b', 10],
  ['mistral-large', 8],
]);
/** USD per million tokens (blended input/output). */
const MODEL_PRICE: Readonly<Record<string, number>> = {
  'claude-sonnet-4': 6,
  'gpt-4o': 5,
  'gemini-1.5-pro': 3.5,
  'claude-haiku-3.5': 1.6,
  'llama-3.1-70b': 0.8,
  'mistral-large': 4,
};
const AGENT_NAMES = [
  'akira',
  'yuki',
  'sakura',
  'kenji',
  'hana',
  'ren',
  'sora',
  'kaito',
  'mei',
  'riku',
  'aoi',
  'haru',
  'nova',
  'orion',
  'lyra',
  'vega',
];
const AGENT_STATUS = weighted<string>([
  ['active', 75],
  ['paused', 15],
  ['retired', 10],
]);
const CAPABILITIES: Readonly<Record<AgentType, readonly string[]>> = {
  planner: ['task decomposition', 'scheduling', 'cost estimation', 'dependency graph'],
  coder: ['typescript', 'python', 'go', 'sql', 'code generation', 'refactoring'],
  reviewer: ['code review', 'security audit', 'style', 'license check'],
  researcher: ['web search', 'summarization', 'citation', 'translation:ja-en'],
  tester: ['unit tests', 'integration tests', 'fuzzing', 'load tests'],
};
const AGENT_TOOLS = ['athena', 's3', 'postgres', 'github', 'browser', 'python'];
const TASK_TYPES: Readonly<Record<AgentType, readonly string[]>> = {
  planner: ['plan', 'plan', 'estimate'],
  coder: ['code', 'code', 'refactor'],
  reviewer: ['review'],
  researcher: ['research', 'retrieve', 'summarize'],
  tester: ['test', 'test', 'benchmark'],
};

const WORKFLOW_NAMES = [
  'nightly-etl-report',
  'pr-review',
  'incident-triage',
  'research: vector db comparison',
  'churn-analysis',
  'schema-migration',
  'weekly-kpi-digest',
  'customer-support-summary',
  'データ品質チェック',
  'release-notes',
];
const WORKFLOW_STATUS = weighted<string>([
  ['completed', 70],
  ['running', 12],
  ['failed', 8],
  ['pending', 6],
  ['cancelled', 4],
]);
const WORKFLOW_TAGS = ['nightly', 'etl', 'adhoc', 'customer', 'internal', 'p1', 'batch'];
const WORKFLOW_SOURCES = ['api', 'scheduler', 'slack', 'webhook', 'cli'];
const WORKFLOW_TRIGGERS = ['cron', 'manual', 'event', 'retry'];
const REQUESTERS = ['ops@tokyo-ia.dev', 'data@tokyo-ia.dev', 'yamada.taro', 'scheduler'];
const PRIORITY = weighted<number>([
  [1, 8],
  [2, 22],
  [3, 40],
  [4, 20],
  [5, 10],
]);

const TASK_STATUS = weighted<string>([
  ['succeeded', 78],
  ['failed', 7],
  ['running', 6],
  ['queued', 5],
  ['cancelled', 4],
]);
const TASK_TOOLS = [
  'athena.query',
  'postgres.query',
  's3.get_object',
  'github.diff',
  'browser.fetch',
  'python.exec',
  'llm.complete',
];
const TASK_PROMPTS = [
  'Summarize the "Q3 churn" report for the ops channel',
  'List failed ETL partitions for the previous day and propose a backfill',
  'Review PR #4821: tighten retention on agent_metrics',
  'Translate the release notes into Japanese (日本語) and keep the tone',
  'Find members with deposits over 10,000 in the last 30 days',
  'Compare p95 latency of the query API before and after the cache change',
  'Write unit tests for the COPY text encoder: tabs, newlines, backslashes',
  "Explain why Athena scanned 4.2 GB for dt = '2025-01-15'",
].map(jsonCopy);
const TASK_ERRORS = [
  'RateLimitError: 429 Too Many Requests (retry after 20s)',
  'TimeoutError: tool call exceeded 120s',
  'ValidationError: output did not match schema\n  at $.steps[2].sql: expected string',
  'ToolError: s3:GetObject AccessDenied on s3://tokyo-ia-data-lake-dev/events/',
  'ContextLengthExceeded: 131072 tokens > limit 128000',
  'PythonError: Traceback (most recent call last):\n  File "etl.py", line 42\n\tKeyError: \'dt\'',
  'PathError: C:\\agents\\cache\\tmp.json is locked',
].map(escapeCopyText);

const METRICS = ['latency_ms', 'tokens_per_s', 'error_rate', 'queue_depth', 'cpu_pct'] as const;
const METRIC_ENV = weighted<string>([
  ['prod', 70],
  ['staging', 20],
  ['dev', 10],
]);
const REGIONS = ['ap-northeast-1', 'ap-northeast-1', 'ap-southeast-1', 'us-east-1'];

const INTERACTION_TYPES = weighted<string>([
  ['request', 40],
  ['response', 35],
  ['handoff', 15],
  ['feedback', 10],
]);
const MESSAGES = weighted<string>(
  (
    [
      ['Please review the diff for the retention change and flag breaking changes.', 1],
      ['Handing off: the schema migration is ready for testing.', 1],
      ['Plan: 1) export day 2) write parquet 3) register partition 4) validate.', 1],
      ["SELECT count(*) FROM events WHERE event_type = 'apiError' AND dt = '2025-01-15';", 1],
      ['Feedback: good summary, but cite sources [1], [2].', 1],
      ['Quote "as is", braces {x,y} and commas, too.', 1],
      ['レビューをお願いします。テストは全て通過しました。', 1],
      ['データの取得に失敗しました。再試行します。', 1],
      ['Résumé de l’analyse : coût estimé 0,42 € par requête.', 1],
      ['¿Puedes validar la consulta? Añadí índices en «events».', 1],
      ['Straße-Test bestanden ✅ — nächste Stufe: Deploy.', 1],
      ['Done 🎉 shipped the fix, p95 latency down 35% 🚀', 1],
      ['Need more context 🤔 which partition (dt=2025-01-14)?', 1],
      ['中文测试：查询已完成，共扫描 1.2 GB。', 0.5],
      ['한국어 메시지: 작업이 완료되었습니다.', 0.5],
      ['👩‍💻 approved; merging after CI is green', 0.5],
      ['Found it:\tcolumn "amount" is numeric(14,2), not float8', 0.3],
      ['Step 1: extract\nStep 2: transform\nStep 3: load', 0.3],
      ['Path C:\\data\\lake\\events not found; using /tmp instead', 0.3],
      ['Regex \\d{4}-\\d{2}-\\d{2} matched 0 rows', 0.3],
      ['Windows line ending in the upload:\r\nline two', 0.2],
    ] as const
  ).map(([message, weight]) => [escapeCopyText(message), weight] as const),
);

const EVENT_TYPES = weighted<string>([
  ['PageView', 30],
  ['BetPlaced', 27],
  ['GameOpened', 15],
  ['Login', 10],
  ['Logout', 7],
  ['Deposit', 4.5],
  ['apiError', 4.5],
  ['Withdrawal', 2],
]);
const DEVICES = weighted<string>([
  ['ios', 38],
  ['android', 40],
  ['web', 18],
  ['desktop', 4],
]);
const APP_VERSIONS = ['5.12.3', '5.12.2', '5.11.0', '5.10.4', '4.9.9'];
const LOGOUT_REASONS = ['user', 'timeout', 'token_expired', 'forced'];
const PLATFORMS = ['mobile', 'desktop', 'tablet'];
const BET_CENTS = weighted<number>([
  [20, 10],
  [50, 12],
  [100, 20],
  [200, 16],
  [500, 14],
  [1000, 12],
  [2000, 7],
  [5000, 5],
  [10000, 3],
  [50000, 1],
]);
const DEPOSIT_UNITS = [10, 20, 50, 100, 100, 200, 500, 1000, 5000];
const DEPOSIT_METHODS = ['bank_transfer', 'credit_card', 'e_wallet', 'crypto', 'promptpay'];
const WITHDRAWAL_METHODS = ['bank_transfer', 'e_wallet', 'crypto'];
const WITHDRAWAL_STATUS = ['pending', 'approved', 'approved', 'approved', 'rejected'];
const API_ERRORS: ReadonlyArray<readonly [number, string]> = [
  [500, 'INTERNAL_ERROR'],
  [502, 'BAD_GATEWAY'],
  [503, 'UPSTREAM_TIMEOUT'],
  [504, 'GATEWAY_TIMEOUT'],
  [429, 'RATE_LIMITED'],
  [401, 'TOKEN_EXPIRED'],
  [400, 'VALIDATION_FAILED'],
];
const ENDPOINTS = [
  '/api/v2/wallet/balance',
  '/api/v2/games/launch',
  '/api/v2/bets',
  '/api/v2/payments/deposit',
  '/api/v1/profile',
  '/api/v2/promotions',
];
const PAGES = ['/', '/lobby', '/promotions', '/slots', '/live-casino', '/sports', '/account'];
const REFERRERS = ['direct', 'google', 'affiliate', 'line', 'facebook', 'email'];
const USER_AGENTS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
  'TokyoIA-App/5.12.3 (iOS 17.4; iPhone15,2)',
  'TokyoIA-App/5.11.0 (Android 14; SM-A546E)',
].map(escapeCopyText);

const MEMBER_STATUS = weighted<string>([
  ['active', 90],
  ['suspended', 6],
  ['closed', 4],
]);

interface Provider {
  readonly name: string;
  readonly prefix: string;
}
const GAME_CATEGORIES = weighted<string>([
  ['slots', 60],
  ['live', 15],
  ['table', 10],
  ['sports', 8],
  ['crash', 7],
]);
const PROVIDERS: Readonly<Record<string, WeightedTable<Provider>>> = {
  slots: weighted<Provider>([
    [{ name: 'Pragmatic Play', prefix: 'PP' }, 30],
    [{ name: 'PG Soft', prefix: 'PGS' }, 25],
    [{ name: 'NetEnt', prefix: 'NE' }, 15],
    [{ name: "Play'n GO", prefix: 'PNG' }, 12],
    [{ name: 'Habanero', prefix: 'HAB' }, 10],
    [{ name: 'Nolimit City', prefix: 'NLC' }, 8],
  ]),
  live: weighted<Provider>([
    [{ name: 'Evolution', prefix: 'EVO' }, 60],
    [{ name: 'Ezugi', prefix: 'EZG' }, 20],
    [{ name: 'Pragmatic Play Live', prefix: 'PPL' }, 20],
  ]),
  table: weighted<Provider>([
    [{ name: 'Evolution', prefix: 'EVO' }, 50],
    [{ name: 'Playtech', prefix: 'PT' }, 50],
  ]),
  sports: weighted<Provider>([
    [{ name: 'Betradar', prefix: 'BR' }, 60],
    [{ name: 'SBTech', prefix: 'SBT' }, 40],
  ]),
  crash: weighted<Provider>([
    [{ name: 'Spribe', prefix: 'SPB' }, 70],
    [{ name: 'Smartsoft', prefix: 'SMS' }, 30],
  ]),
};
const SLOT_FIRST = [
  'Fortune',
  'Golden',
  'Mega',
  'Lucky',
  'Wild',
  'Dragon',
  'Sweet',
  'Book of',
  'Gates of',
  'Mystic',
  'Royal',
  'Treasure',
  'Samurai',
  'Neon',
  'Aztec',
  'Viking',
];
const SLOT_SECOND = [
  'Tiger',
  'Bonanza',
  'Riches',
  'Fruits',
  'Olympus',
  'Ra',
  'Dragons',
  'Wilds',
  'Gems',
  'Spins',
  'Legends',
  'Empire',
  'Quest',
  'Koi',
];
const GAME_NAMES: Readonly<Record<string, readonly string[]>> = {
  live: [
    'Lightning Roulette',
    'Speed Baccarat',
    'Crazy Time',
    'Dragon Tiger',
    'Mega Ball',
    'Sic Bo',
  ],
  table: ['European Roulette', 'Blackjack Classic', 'Casino Hold’em', 'Baccarat Squeeze'],
  sports: ['J.League Live', 'Premier League', 'NBA Moneyline', 'Esports: LoL', 'Tennis Live'],
  crash: ['Aviator', 'Spaceman', 'JetX', 'Crash X', 'Mines'],
};
const GAME_TAGS: Readonly<Record<string, readonly string[]>> = {
  slots: [
    'megaways',
    'jackpot',
    'buy feature',
    'high volatility',
    'low volatility',
    'hold & win',
    'asian',
    'new',
  ],
  live: ['live dealer', 'vip', 'speed', 'game show', 'asian'],
  table: ['classic', 'vip', 'low stakes', 'rng'],
  sports: ['in-play', 'pre-match', 'cash out', 'esports'],
  crash: ['multiplier', 'provably fair', 'instant', 'new'],
};
const RTP_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  slots: [9400, 9750],
  live: [9700, 9950],
  table: [9800, 9960],
  sports: [9200, 9600],
  crash: [9600, 9700],
};

const AFFILIATE_FIRST = ['Lucky', 'Asia', 'Golden', 'Prime', 'Star', 'Blue Ocean', 'Sakura'];
const AFFILIATE_SECOND = ['Partners', 'Media', 'Marketing', 'Affiliates', 'Network', 'Ventures'];
const AFFILIATE_SUFFIX = ['', '', ' Ltd.', ' Co., Ltd.', ' K.K.', ' Pte. Ltd.'];
const AFFILIATE_STATUS = weighted<string>([
  ['active', 80],
  ['paused', 12],
  ['terminated', 8],
]);

// ---------------------------------------------------------------------------------------------
// Catalogs: the key columns of the reference tables, which time-series rows refer to
// ---------------------------------------------------------------------------------------------

interface AgentEntry {
  readonly id: string;
  readonly type: AgentType;
  readonly model: string;
}
interface GameEntry {
  readonly code: string;
  readonly name: string;
  readonly provider: string;
  readonly providerJson: string;
  readonly category: string;
}
interface Catalog {
  readonly agents: readonly AgentEntry[];
  /** Indexes into `agents` of the planners (there is always one: index 0). */
  readonly planners: readonly number[];
  readonly memberCodes: readonly string[];
  readonly memberCountries: readonly string[];
  readonly games: readonly GameEntry[];
  readonly affiliateCodes: readonly string[];
}

const catalogCache = new Map<string, Catalog>();

/**
 * The reference tables' keys for (seed, scale). Each list is drawn sequentially from its own
 * stream, so entry i is the same whatever the count: a larger scale only appends.
 */
function catalog(r: Resolved): Catalog {
  const cacheKey = `${r.seed}|${r.scale}`;
  const cached = catalogCache.get(cacheKey);
  if (cached) return cached;

  const agents: AgentEntry[] = [];
  const planners: number[] = [];
  const agentRng = new Prng(`${r.seed}:agents:catalog`);
  const agentCount = referenceCount('agents', r.scale);
  for (let i = 0; i < agentCount; i++) {
    const type = AGENT_TYPES[i % AGENT_TYPES.length] as AgentType;
    if (type === 'planner') planners.push(i);
    agents.push({ id: agentRng.uuid(), type, model: agentRng.weighted(MODELS) });
  }

  const memberRng = new Prng(`${r.seed}:members:catalog`);
  const memberCount = referenceCount('members', r.scale);
  const memberCodes: string[] = [];
  const memberCountries: string[] = [];
  let code = 1_000_000 + memberRng.int(0, 99_999);
  for (let i = 0; i < memberCount; i++) {
    code += memberRng.int(1, 4);
    memberCodes.push(`M${code}`);
    memberCountries.push(memberRng.weighted(COUNTRIES));
  }

  const gameRng = new Prng(`${r.seed}:games:catalog`);
  const gameCount = referenceCount('games', r.scale);
  const games: GameEntry[] = [];
  for (let i = 0; i < gameCount; i++) {
    const category = gameRng.weighted(GAME_CATEGORIES);
    const provider = gameRng.weighted(PROVIDERS[category] as WeightedTable<Provider>);
    const names = GAME_NAMES[category];
    const name = names
      ? `${gameRng.pick(names)}${gameRng.chance(0.5) ? ` ${gameRng.int(2, 9)}` : ''}`
      : `${gameRng.pick(SLOT_FIRST)} ${gameRng.pick(SLOT_SECOND)}${gameRng.chance(0.15) ? ' Megaways' : ''}`;
    games.push({
      code: `${provider.prefix}${String(i + 1).padStart(5, '0')}`,
      name,
      provider: provider.name,
      providerJson: jsonCopy(provider.name),
      category,
    });
  }

  const affiliateCodes: string[] = [];
  const affiliateCount = referenceCount('affiliates', r.scale);
  for (let i = 0; i < affiliateCount; i++) affiliateCodes.push(`AFF${10001 + i}`);

  const built: Catalog = {
    agents,
    planners,
    memberCodes,
    memberCountries,
    games,
    affiliateCodes,
  };
  if (catalogCache.size >= 4) {
    const oldest = catalogCache.keys().next().value;
    if (oldest !== undefined) catalogCache.delete(oldest);
  }
  catalogCache.set(cacheKey, built);
  return built;
}

/** The workflows of a day as other tables see them (ids from a side stream of that day). */
interface DayWorkflows {
  readonly ids: readonly string[];
  readonly agentIds: readonly string[];
}

function dayWorkflows(r: Resolved, cat: Catalog, day: number): DayWorkflows {
  const { count, date } = openDay(r, 'workflows', day);
  const rng = new Prng(`${dayKey(r.seed, 'workflows', date)}:ids`);
  const ids: string[] = [];
  const agentIds: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(rng.uuid());
    agentIds.push((cat.agents[rng.pick(cat.planners)] as AgentEntry).id);
  }
  return { ids, agentIds };
}

/** The user sessions of a day as other tables see them. */
interface DaySessions {
  readonly ids: readonly string[];
  /** Member index for authenticated sessions, -1 for anonymous ones. */
  readonly members: readonly number[];
  readonly userIds: readonly string[];
  /** Indexes of the authenticated sessions. */
  readonly authenticated: readonly number[];
}

function daySessions(r: Resolved, cat: Catalog, day: number): DaySessions {
  const { count, date } = openDay(r, 'user_sessions', day);
  const rng = new Prng(`${dayKey(r.seed, 'user_sessions', date)}:ids`);
  const ids: string[] = [];
  const members: number[] = [];
  const userIds: string[] = [];
  const authenticated: number[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(rng.uuid());
    if (rng.chance(0.75)) {
      const member = rng.skewedIndex(cat.memberCodes.length, 2);
      members.push(member);
      userIds.push(cat.memberCodes[member] as string);
      authenticated.push(i);
    } else {
      members.push(-1);
      userIds.push(`anon_${rng.hex(12)}`);
    }
  }
  return { ids, members, userIds, authenticated };
}

// ---------------------------------------------------------------------------------------------
// Row writers
// ---------------------------------------------------------------------------------------------

/** A batch of rows (a reference table, or one day of a time-series table). */
interface RowBatch {
  readonly count: number;
  /** Row `i` as one COPY line ending in '\n'; called with i = 0, 1, 2 ... in order. */
  row(i: number): string;
}

type ReferenceWriter = (r: Resolved, cat: Catalog) => RowBatch;
type DayWriter = (r: Resolved, cat: Catalog, day: number) => RowBatch;

function jsonStringArray(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
}

const writeAgents: ReferenceWriter = (r, cat) => {
  const rng = new Prng(`${r.seed}:agents`);
  return {
    count: cat.agents.length,
    row(i) {
      const agent = cat.agents[i] as AgentEntry;
      const name = `${agent.type}-${rng.pick(AGENT_NAMES)}-${TWO_DIGITS[(i + 1) % 100]}`;
      const status = rng.weighted(AGENT_STATUS);
      const capabilities = rng.pickDistinct(CAPABILITIES[agent.type], rng.int(2, 4));
      const tools = rng.pickDistinct(AGENT_TOOLS, rng.int(1, 3));
      const config = escapeCopyText(
        `{"tools": ${jsonStringArray(tools)}, "max_tokens": ${rng.pick([2048, 4096, 8192, 16384])}, "temperature": ${rng.int(0, 10) / 10}}`,
      );
      const updated = timeInWindow(rng, r);
      const created = updated - rng.int(1, 365 * 24) * HOUR_US - rng.int(0, 3_599_999_999);
      return `${agent.id}\t${name}\t${agent.type}\t${agent.model}\t${status}\t${copyArray(capabilities)}\t${config}\t${timestampText(created)}\t${timestampText(updated)}\n`;
    },
  };
};

const writeMembers: ReferenceWriter = (r, cat) => {
  const rng = new Prng(`${r.seed}:members`);
  const affiliates = cat.affiliateCodes;
  return {
    count: cat.memberCodes.length,
    row(i) {
      const updated = timeInWindow(rng, r);
      const created = updated - rng.int(1, 3 * 365 * 24 * 60) * MINUTE_US - rng.int(0, 59_999_999);
      const registration = dateText(Math.floor(created / DAY_US));
      const deposit = rng.chance(0.15)
        ? '0.00'
        : money(1000 * rng.int(1, 20) + rng.skewedIndex(5_000_000, 3));
      const status = rng.weighted(MEMBER_STATUS);
      const email = rng.chance(0.85) ? 't' : 'f';
      const phone = rng.chance(0.1) ? COPY_NULL : rng.chance(0.65) ? 't' : 'f';
      const affiliate = rng.chance(0.3) ? rng.pick(affiliates) : COPY_NULL;
      return `${cat.memberCodes[i]}\t${registration}\t${deposit}\t${status}\t${email}\t${phone}\t${affiliate}\t${cat.memberCountries[i]}\t${timestampText(created)}\t${timestampText(updated)}\n`;
    },
  };
};

const writeGames: ReferenceWriter = (r, cat) => {
  const rng = new Prng(`${r.seed}:games`);
  return {
    count: cat.games.length,
    row(i) {
      const game = cat.games[i] as GameEntry;
      const [low, high] = RTP_RANGE[game.category] as readonly [number, number];
      const rtp = money(rng.int(low, high));
      const active = rng.chance(0.92) ? 't' : 'f';
      const tags = rng.pickDistinct(GAME_TAGS[game.category] as readonly string[], rng.int(1, 3));
      const launched = dateText(r.firstDay - rng.int(30, 3000));
      const updated = timeInWindow(rng, r);
      return `${game.code}\t${escapeCopyText(game.name)}\t${escapeCopyText(game.provider)}\t${game.category}\t${rtp}\t${active}\t${copyArray(tags)}\t${launched}\t${timestampText(updated)}\n`;
    },
  };
};

const writeAffiliates: ReferenceWriter = (r, cat) => {
  const rng = new Prng(`${r.seed}:affiliates`);
  return {
    count: cat.affiliateCodes.length,
    row(i) {
      const name = `${rng.pick(AFFILIATE_FIRST)} ${rng.pick(AFFILIATE_SECOND)}${rng.pick(AFFILIATE_SUFFIX)}`;
      const rate = `0.${String(rng.int(1000, 4500)).padStart(4, '0')}`;
      const country = rng.weighted(COUNTRIES);
      const status = rng.weighted(AFFILIATE_STATUS);
      const updated = timeInWindow(rng, r);
      const created =
        updated -
        rng.int(30, 5 * 365) * DAY_US -
        rng.int(0, 86_399) * SECOND_US -
        rng.int(0, 999_999);
      return `${cat.affiliateCodes[i]}\t${name}\t${rate}\t${country}\t${status}\t${timestampText(created)}\t${timestampText(updated)}\n`;
    },
  };
};

const writeWorkflows: DayWriter = (r, cat, day) => {
  const { rng, count } = openDay(r, 'workflows', day);
  const own = dayWorkflows(r, cat, day);
  return {
    count,
    row(i) {
      const name = escapeCopyText(
        `${rng.pick(WORKFLOW_NAMES)}${rng.chance(0.6) ? ` #${rng.int(100, 9999)}` : ''}`,
      );
      const status = rng.weighted(WORKFLOW_STATUS);
      const priority = rng.weighted(PRIORITY);
      const steps = rng.int(1, 12);
      const tags = jsonStringArray(rng.pickDistinct(WORKFLOW_TAGS, rng.int(0, 3)));
      const metadata = `{"tags": ${tags}, "source": "${rng.pick(WORKFLOW_SOURCES)}", "trigger": "${rng.pick(WORKFLOW_TRIGGERS)}", "requested_by": "${rng.pick(REQUESTERS)}"}`;
      const created = timeInDay(rng, day);
      const finished = status === 'completed' || status === 'failed' || status === 'cancelled';
      const completed = finished
        ? timestampText(created + rng.int(5, 2 * 3600) * SECOND_US + rng.int(0, 999_999))
        : COPY_NULL;
      return `${own.ids[i]}\t${own.agentIds[i]}\t${name}\t${status}\t${priority}\t${steps}\t${metadata}\t${timestampText(created)}\t${completed}\n`;
    },
  };
};

const writeAgentTasks: DayWriter = (r, cat, day) => {
  const { rng, count } = openDay(r, 'agent_tasks', day);
  const workflows = dayWorkflows(r, cat, day);
  return {
    count,
    row() {
      const id = rng.uuid();
      const workflowId = rng.pick(workflows.ids);
      const agent = rng.pick(cat.agents);
      const taskType = rng.pick(TASK_TYPES[agent.type]);
      const status = rng.weighted(TASK_STATUS);
      const attempt = status === 'failed' ? rng.int(1, 3) : rng.chance(0.92) ? 1 : rng.int(2, 3);
      const tokens = status === 'queued' ? 0 : 200 + rng.skewedIndex(120_000, 3);
      const cost = ((tokens * (MODEL_PRICE[agent.model] ?? 5)) / 1_000_000).toFixed(6);
      const input = `{"tool": "${rng.pick(TASK_TOOLS)}", "prompt": ${rng.pick(TASK_PROMPTS)}, "context_id": "ctx_${rng.hex(8)}", "max_tokens": ${rng.pick([1024, 2048, 4096, 8192])}}`;
      const error = status === 'failed' ? rng.pick(TASK_ERRORS) : COPY_NULL;
      const created = timeInDay(rng, day);
      let started = COPY_NULL;
      let completed = COPY_NULL;
      let updated = created;
      if (status !== 'queued') {
        const startUs = created + rng.int(0, 30_000_000);
        started = timestampText(startUs);
        updated = startUs;
        if (status !== 'running') {
          updated = startUs + rng.int(500_000, 600_000_000);
          completed = timestampText(updated);
        }
      }
      return `${id}\t${workflowId}\t${agent.id}\t${taskType}\t${status}\t${attempt}\t${tokens}\t${cost}\t${input}\t${error}\t${timestampText(created)}\t${started}\t${completed}\t${timestampText(updated)}\n`;
    },
  };
};

const writeAgentMetrics: DayWriter = (r, cat, day) => {
  const { rng, count } = openDay(r, 'agent_metrics', day);
  const base = day * 1_000_000;
  return {
    count,
    row(i) {
      const agentIndex = rng.int(0, cat.agents.length - 1);
      const agent = cat.agents[agentIndex] as AgentEntry;
      const metric = rng.pick(METRICS);
      let value: number;
      switch (metric) {
        case 'latency_ms':
          value = Math.round((40 + 4000 * rng.skewedFloat(3)) * 10) / 10;
          break;
        case 'tokens_per_s':
          value = Math.round((15 + 120 * rng.float()) * 100) / 100;
          break;
        case 'error_rate':
          value = Math.round(0.2 * rng.skewedFloat(4) * 10_000) / 10_000;
          break;
        case 'queue_depth':
          value = rng.skewedIndex(60, 2);
          break;
        default:
          value = Math.round((3 + 95 * rng.skewedFloat(2)) * 10) / 10;
      }
      const labels = `{"env": "${rng.weighted(METRIC_ENV)}", "host": "worker-${TWO_DIGITS[(agentIndex % 16) + 1]}", "region": "${rng.pick(REGIONS)}"}`;
      return `${base + i}\t${agent.id}\t${metric}\t${value}\t${labels}\t${timestampText(timeInDay(rng, day))}\n`;
    },
  };
};

const writeAgentInteractions: DayWriter = (r, cat, day) => {
  const { rng, count } = openDay(r, 'agent_interactions', day);
  const workflows = dayWorkflows(r, cat, day);
  const agents = cat.agents;
  return {
    count,
    row() {
      const id = rng.uuid();
      const from = rng.int(0, agents.length - 1);
      const to = (from + rng.int(1, agents.length - 1)) % agents.length;
      const workflowId = rng.chance(0.8) ? rng.pick(workflows.ids) : COPY_NULL;
      const type = rng.weighted(INTERACTION_TYPES);
      const message = rng.weighted(MESSAGES);
      const tokens = 8 + rng.skewedIndex(4000, 2);
      const latency = 15 + rng.skewedIndex(15_000, 3);
      return `${id}\t${(agents[from] as AgentEntry).id}\t${(agents[to] as AgentEntry).id}\t${workflowId}\t${type}\t${message}\t${tokens}\t${latency}\t${timestampText(timeInDay(rng, day))}\n`;
    },
  };
};

const writeUserSessions: DayWriter = (r, cat, day) => {
  const { rng, count } = openDay(r, 'user_sessions', day);
  const own = daySessions(r, cat, day);
  return {
    count,
    row(i) {
      const member = own.members[i] as number;
      const started = timeInDay(rng, day);
      let ended = COPY_NULL;
      let duration = COPY_NULL;
      if (!rng.chance(0.06)) {
        const seconds = 3 + rng.skewedIndex(4 * 3600, 3);
        ended = timestampText(started + seconds * SECOND_US);
        duration = String(seconds);
      }
      const pageViews = 1 + rng.skewedIndex(80, 2);
      const country =
        member >= 0 && rng.chance(0.92)
          ? (cat.memberCountries[member] as string)
          : rng.weighted(COUNTRIES);
      return `${own.ids[i]}\t${own.userIds[i]}\t${timestampText(started)}\t${ended}\t${duration}\t${pageViews}\t${member >= 0 ? 't' : 'f'}\t${rng.pick(USER_AGENTS)}\t${country}\n`;
    },
  };
};

const writeEvents: DayWriter = (r, cat, day) => {
  const { rng, count } = openDay(r, 'events', day);
  const sessions = daySessions(r, cat, day);
  const members = cat.memberCodes;
  const games = cat.games;
  return {
    count,
    row() {
      const id = rng.uuid();
      const type = rng.weighted(EVENT_TYPES);
      let member: number;
      let sessionId = COPY_NULL;
      if (sessions.authenticated.length > 0 && rng.chance(0.65)) {
        const s = rng.pick(sessions.authenticated);
        member = sessions.members[s] as number;
        sessionId = sessions.ids[s] as string;
      } else {
        member = rng.skewedIndex(members.length, 2);
      }
      const country = cat.memberCountries[member] as string;
      const currency = CURRENCY[country] ?? 'USD';
      let gameCode = COPY_NULL;
      let amount = COPY_NULL;
      let payload: string;
      switch (type) {
        case 'Login':
          payload = `{"device": "${rng.weighted(DEVICES)}", "ip_country": "${rng.chance(0.9) ? country : rng.weighted(COUNTRIES)}", "app_version": "${rng.pick(APP_VERSIONS)}"}`;
          break;
        case 'Logout':
          payload = `{"reason": "${rng.pick(LOGOUT_REASONS)}", "session_s": ${30 + rng.skewedIndex(14_400, 2)}}`;
          break;
        case 'GameOpened': {
          const game = games[rng.skewedIndex(games.length, 3)] as GameEntry;
          gameCode = game.code;
          payload = `{"platform": "${rng.pick(PLATFORMS)}", "provider": ${game.providerJson}, "game_code": "${game.code}"}`;
          break;
        }
        case 'BetPlaced': {
          const game = games[rng.skewedIndex(games.length, 3)] as GameEntry;
          gameCode = game.code;
          const bet = rng.weighted(BET_CENTS);
          amount = money(bet);
          const payout = rng.chance(0.42) ? bet * rng.pick([1, 2, 2, 3, 5, 10, 50]) : 0;
          payload = `{"payout": ${money(payout)}, "currency": "${currency}", "round_id": "${rng.hex(12)}", "game_code": "${game.code}"}`;
          break;
        }
        case 'Deposit': {
          const cents = rng.chance(0.8)
            ? rng.pick(DEPOSIT_UNITS) * 100
            : rng.int(10, 3000) * 100 + rng.int(0, 99);
          amount = money(cents);
          payload = `{"amount": ${amount}, "method": "${rng.pick(DEPOSIT_METHODS)}", "currency": "${currency}"}`;
          break;
        }
        case 'Withdrawal': {
          const cents = 2000 + rng.skewedIndex(1_000_000, 3);
          amount = money(cents);
          payload = `{"amount": ${amount}, "method": "${rng.pick(WITHDRAWAL_METHODS)}", "status": "${rng.pick(WITHDRAWAL_STATUS)}", "currency": "${currency}"}`;
          break;
        }
        case 'apiError': {
          const [status, code] = rng.pick(API_ERRORS);
          payload = `{"status": ${status}, "endpoint": "${rng.pick(ENDPOINTS)}", "error_code": "${code}", "latency_ms": ${5 + rng.skewedIndex(30_000, 3)}}`;
          break;
        }
        default:
          payload = `{"path": "${rng.pick(PAGES)}", "referrer": "${rng.pick(REFERRERS)}", "duration_ms": ${200 + rng.skewedIndex(120_000, 2)}}`;
      }
      return `${id}\t${type}\t${members[member]}\t${gameCode}\t${amount}\t${sessionId}\t${payload}\t${timestampText(timeInDay(rng, day))}\n`;
    },
  };
};

const REFERENCE_WRITERS: Readonly<Record<string, ReferenceWriter>> = {
  agents: writeAgents,
  members: writeMembers,
  games: writeGames,
  affiliates: writeAffiliates,
};

const DAY_WRITERS: Readonly<Record<string, DayWriter>> = {
  workflows: writeWorkflows,
  agent_tasks: writeAgentTasks,
  agent_metrics: writeAgentMetrics,
  agent_interactions: writeAgentInteractions,
  user_sessions: writeUserSessions,
  events: writeEvents,
};

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * The sample days: `days` dates (`YYYY-MM-DD`, UTC) ending at `endDate`, oldest first.
 *
 * @throws Error when the options are invalid (the message shows the bad value).
 * @example
 * sampleDays({ seed: 1, days: 3, scale: 1, endDate: '2025-01-31' });
 * // ['2025-01-29', '2025-01-30', '2025-01-31']
 */
export function sampleDays(opts: SampleOptions): string[] {
  const r = resolveOptions(opts);
  const dates: string[] = [];
  for (let day = r.firstDay; day <= r.lastDay; day++) dates.push(dateText(day));
  return dates;
}

/**
 * How many rows {@link generateTable} writes for `table`: in all, and per day for time-series
 * tables (a day's count depends only on seed, table, date and scale).
 *
 * @throws Error for an unknown table or invalid options.
 * @example
 * const { total, perDay } = plannedRows('events', { seed: 42, days: 7, scale: 1, endDate: '2025-01-31' });
 * perDay['2025-01-31']; // ~3,000 rows
 */
export function plannedRows(table: string, opts: SampleOptions): PlannedRows {
  const spec = sampleTable(table);
  const r = resolveOptions(opts);
  if (spec.kind === 'reference') return { total: referenceCount(table, r.scale), perDay: {} };
  const perDay: Record<string, number> = {};
  let total = 0;
  for (let day = r.firstDay; day <= r.lastDay; day++) {
    const { count, date } = openDay(r, table, day);
    perDay[date] = count;
    total += count;
  }
  return { total, perDay };
}

function* chunksOf(batches: Iterable<RowBatch>): Generator<string, void, undefined> {
  let buffer = '';
  for (const batch of batches) {
    for (let i = 0; i < batch.count; i++) {
      buffer += batch.row(i);
      if (buffer.length >= CHUNK_CHARS) {
        yield buffer;
        buffer = '';
      }
    }
  }
  if (buffer.length > 0) yield buffer;
}

function* dayBatches(writer: DayWriter, r: Resolved, cat: Catalog): Generator<RowBatch> {
  for (let day = r.firstDay; day <= r.lastDay; day++) yield writer(r, cat, day);
}

/**
 * The rows of `table` as PostgreSQL COPY text (tab-separated, `\N` for NULL, columns in the
 * order of `sampleTable(table).columns`), in chunks of about 64 KB of whole lines each.
 * Time-series tables come day by day, oldest first. Options are checked at once, before the
 * first chunk is asked for.
 *
 * @throws Error for an unknown table or invalid options.
 * @example
 * const opts = { seed: 42, days: 30, scale: 1, endDate: '2025-01-31' };
 * for (const chunk of generateTable('events', opts)) copyStream.write(chunk);
 */
export function generateTable(table: string, opts: SampleOptions): Generator<string> {
  const spec = sampleTable(table);
  const r = resolveOptions(opts);
  const cat = catalog(r);
  if (spec.kind === 'reference') {
    const writer = REFERENCE_WRITERS[table] as ReferenceWriter;
    return chunksOf([writer(r, cat)]);
  }
  return chunksOf(dayBatches(DAY_WRITERS[table] as DayWriter, r, cat));
}

/**
 * SHA-256 (hex) of the whole sample data set: every table in load order, each preceded by its
 * name and a newline. Equal options give an equal checksum on every machine.
 *
 * @throws Error when the options are invalid.
 * @example
 * sampleChecksum({ seed: 42, days: 3, scale: 0.1, endDate: '2025-01-31' }); // '3f1c…'
 */
export function sampleChecksum(opts: SampleOptions): string {
  resolveOptions(opts);
  const hash = createHash('sha256');
  for (const table of SAMPLE_TABLES) {
    hash.update(`${table.name}\n`);
    for (const chunk of generateTable(table.name, opts)) hash.update(chunk);
  }
  return hash.digest('hex');
}
