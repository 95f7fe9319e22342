/**
 * The database connection from an AWS Secrets Manager secret in the format RDS and CDK's
 * `DatabaseSecret` attached to an Aurora cluster write:
 * `{"engine":"postgres","host":"…","port":5432,"dbname":"…","username":"…","password":"…"}`.
 *
 * TLS: connections verify the server certificate (`rejectUnauthorized: true`). Aurora's
 * certificates chain to the Amazon RDS certificate authorities, which are not in Node's built-in
 * CA store: this assumes the process trusts them through `NODE_EXTRA_CA_CERTS`. The Lambda
 * Node.js runtimes ship the RDS CA bundle at `/var/runtime/ca-cert.pem`, and the Pipeline stack
 * sets `NODE_EXTRA_CA_CERTS` to it; elsewhere, download the bundle from
 * https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem and point the variable at it.
 * Without it every connection fails with `self-signed certificate in certificate chain`.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { UsageError } from '#core/errors';

/** Options of {@link pgConnectionFromSecret}. */
export interface SecretConnectionOptions {
  /** Where the secret came from (its ARN), for messages. @default 'the database secret' */
  readonly source?: string;
}

/** Engines a PostgreSQL secret may name (RDS writes `postgres`; some tools `aurora-postgresql`). */
const POSTGRES_ENGINES = new Set(['postgres', 'aurora-postgresql']);

/**
 * `pg` connection settings from the secret's JSON, with TLS verified. The password is never put
 * in a message.
 * @throws UsageError naming the secret and the missing or invalid key.
 * @example
 * const connection = pgConnectionFromSecret(
 *   '{"engine":"postgres","host":"db.cluster-x.eu-west-1.rds.amazonaws.com","port":5432,"dbname":"thermocline","username":"thermocline","password":"…"}',
 * );
 * connection.ssl; // { rejectUnauthorized: true }
 */
export function pgConnectionFromSecret(
  secretString: string,
  options: SecretConnectionOptions = {},
): pg.PoolConfig {
  const source = options.source ?? 'the database secret';
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // The text is not shown: it may hold the password.
    throw new UsageError(
      `${source} is not JSON; it must be an RDS database secret {"host","port","dbname","username","password","engine"}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(
      `${source} is not a JSON object; it must be an RDS database secret {"host","port","dbname","username","password","engine"}`,
    );
  }
  const secret = parsed as Record<string, unknown>;
  const text = (key: string): string => {
    const value = secret[key];
    if (typeof value !== 'string' || value === '') {
      throw new UsageError(
        `${source} has no ${key === 'password' ? 'password' : `'${key}'`} (a non-empty string); ` +
          `it has keys ${Object.keys(secret).join(', ') || '(none)'}. Attach the secret to the cluster (CDK: secret.attach(cluster)) so RDS writes host, port and dbname`,
      );
    }
    return value;
  };
  const engine = secret['engine'];
  if (engine !== undefined && (typeof engine !== 'string' || !POSTGRES_ENGINES.has(engine))) {
    throw new UsageError(
      `${source} is for engine '${String(engine)}', not PostgreSQL; use the Aurora PostgreSQL cluster's secret`,
    );
  }
  const port = Number(secret['port']);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(
      `${source} has port '${String(secret['port'])}'; expected a TCP port number such as 5432`,
    );
  }
  return {
    host: text('host'),
    port,
    database: text('dbname'),
    user: text('username'),
    password: text('password'),
    ssl: { rejectUnauthorized: true },
  };
}

/**
 * The secret's text (`SecretString`) from Secrets Manager. SDK errors pass through with their
 * names (e.g. `ResourceNotFoundException`, `AccessDeniedException`, `ThrottlingException`).
 * @throws UsageError naming the ARN when the secret has no SecretString (a binary secret).
 * @example
 * const text = await readDatabaseSecret(new SecretsManagerClient({}), process.env.DATABASE_SECRET_ARN!);
 * const connection = pgConnectionFromSecret(text, { source: process.env.DATABASE_SECRET_ARN });
 */
export async function readDatabaseSecret(
  client: SecretsManagerClient,
  secretArn: string,
): Promise<string> {
  const output = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (output.SecretString === undefined || output.SecretString === '') {
    throw new UsageError(
      `secret ${secretArn} has no SecretString${output.SecretBinary ? ' (it is a binary secret)' : ''}; point DATABASE_SECRET_ARN at the database's JSON secret`,
    );
  }
  return output.SecretString;
}
