/**
 * Database credentials that follow the secret's rotation: {@link DatabaseSecretCache} re-reads
 * the secret after a maximum age and on demand, and {@link withAuthRetry} runs an operation again,
 * once, after an authentication failure (clearing the cache first). A rotation changes the
 * password in the database and then in the secret, so a warm function either still holds the old
 * password (the cache expires, or the failed login clears it) or reads the new one.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SqlDatabase } from '#ports/sql';
import { readDatabaseSecret } from './database-secret';

/** The longest a secret's value is used before it is read again: 5 minutes. */
export const SECRET_MAX_AGE_MS = 5 * 60 * 1000;

/** Options of a {@link DatabaseSecretCache}. */
export interface DatabaseSecretCacheOptions {
  /** How long a read value is used, in milliseconds. @default SECRET_MAX_AGE_MS (5 minutes) */
  readonly maxAgeMs?: number;
  /** The clock, in milliseconds. @default Date.now */
  readonly now?: () => number;
}

/**
 * The text of a database secret, read from Secrets Manager at most once per `maxAgeMs` (callers
 * waiting at the same time share one read; a failed read is not kept), and read again after
 * {@link DatabaseSecretCache.clear}.
 * @example
 * const cache = new DatabaseSecretCache(secrets, process.env.DATABASE_SECRET_ARN!);
 * const text = await cache.get(); // read once, then from memory for 5 minutes
 * cache.clear(); // after an authentication failure: the next get() reads again
 */
export class DatabaseSecretCache {
  private value: { readonly text: Promise<string>; readonly readAt: number } | undefined;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: SecretsManagerClient,
    /** The secret's ARN. */
    readonly secretArn: string,
    options: DatabaseSecretCacheOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? SECRET_MAX_AGE_MS;
    this.now = options.now ?? Date.now;
  }

  /** The secret's text (`SecretString`), read again when older than the maximum age. */
  async get(): Promise<string> {
    const now = this.now();
    if (!this.value || now - this.value.readAt >= this.maxAgeMs) {
      const text = readDatabaseSecret(this.client, this.secretArn);
      const entry = { text, readAt: now };
      this.value = entry;
      text.catch(() => {
        if (this.value === entry) this.value = undefined;
      });
    }
    return this.value.text;
  }

  /** Forgets the value: the next {@link DatabaseSecretCache.get} reads the secret again. */
  clear(): void {
    this.value = undefined;
  }
}

/** PostgreSQL's SQLSTATEs for a refused login: invalid_password, invalid_authorization_specification. */
const AUTH_SQLSTATES = new Set(['28P01', '28000']);

/**
 * Whether `error` is a refused database login: a `pg` error with SQLSTATE 28P01 or 28000, or a
 * Data API error that reports one (`…; SQLState: 28P01`) or says the secret's credentials are
 * invalid (`InvalidSecretException`).
 * @example
 * isAuthFailure(Object.assign(new Error('password authentication failed'), { code: '28P01' })); // true
 */
export function isAuthFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string' && AUTH_SQLSTATES.has(code)) return true;
  if (name === 'InvalidSecretException') return true;
  return (
    typeof message === 'string' &&
    (/SQLState: (28P01|28000)\b/.test(message) || /password authentication failed/i.test(message))
  );
}

/**
 * Runs `work`; when it fails with a refused login ({@link isAuthFailure}), calls `onAuthFailure`
 * (clear the cached secret) and runs `work` once more. Only for work that cannot have changed
 * anything when the login failed: a single statement, or a transaction that had not begun.
 * @example
 * const rows = await retryOnAuthFailure(() => db.query('SELECT 1'), () => cache.clear());
 */
export async function retryOnAuthFailure<T>(
  work: () => Promise<T>,
  onAuthFailure: () => void | Promise<void>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isAuthFailure(error)) throw error;
    await onAuthFailure();
    return work();
  }
}

/**
 * `db` with every connecting operation (`query`, `copyFrom`, `transaction`) retried once after a
 * refused login. A login happens when a connection opens, before any statement of the operation,
 * so the retry never repeats work. `copyTo` (inside a transaction's session) is unchanged.
 * @example
 * const db = withAuthRetry(createPgDatabase({ … }), () => cache.clear());
 */
export function withAuthRetry(
  db: SqlDatabase,
  onAuthFailure: () => void | Promise<void>,
): SqlDatabase {
  return {
    target: db.target,
    schema: db.schema,
    query: (sql, params) => retryOnAuthFailure(() => db.query(sql, params), onAuthFailure),
    copyFrom: (sql, chunks) => retryOnAuthFailure(() => db.copyFrom(sql, chunks), onAuthFailure),
    copyTo: (sql) => db.copyTo(sql),
    ...(db.queryWithFields
      ? {
          queryWithFields: <Row extends Record<string, unknown>>(
            sql: string,
            params?: readonly unknown[],
          ) => retryOnAuthFailure(() => db.queryWithFields!<Row>(sql, params), onAuthFailure),
        }
      : {}),
    transaction: (work) => retryOnAuthFailure(() => db.transaction(work), onAuthFailure),
    close: () => db.close(),
  };
}
