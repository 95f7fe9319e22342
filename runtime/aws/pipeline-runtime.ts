/**
 * The AWS ports the pipeline's lake-touching functions share (export, sync, retention: each wired
 * in its own `*-runtime.ts` here, so each bundle holds only what its function uses): the S3 lake
 * and its Glue catalog, and PostgreSQL from the cluster's secret (TLS verified).
 */
import type { GlueClient } from '@aws-sdk/client-glue';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { pgConnectionFromSecret } from '#adapters/aws/database-secret';
import { DatabaseSecretCache, withAuthRetry } from '#adapters/aws/database-secret-cache';
import { GlueCatalog } from '#adapters/aws/glue-catalog';
import { S3ObjectStore } from '#adapters/aws/s3-object-store';
import { createPgDatabase } from '#adapters/pg/pg-database';
import type { Catalog } from '#ports/catalog';
import type { ObjectStore } from '#ports/object-store';
import type { SqlDatabase } from '#ports/sql';

/** Where the lake and its catalog are: the variables every lake-touching handler reads. */
export interface LakeEnvironment {
  /** `THERMOCLINE_SCHEMA`, default `public`: the schema of the hot tables. */
  readonly schema: string;
  /** `LAKE_BUCKET`. */
  readonly bucket: string;
  /** `LAKE_PREFIX`, default `''`: the lake's key prefix, ending with `/`. */
  readonly prefix: string;
  /** `GLUE_DATABASE`. */
  readonly glueDatabase: string;
}

/**
 * The S3 lake and the Glue catalog of `env`.
 * @example
 * const { store, catalog } = awsLake({ s3, glue }, lakeEnvironment(process.env));
 */
export function awsLake(
  clients: { readonly s3: S3Client; readonly glue: GlueClient },
  env: LakeEnvironment,
): { store: ObjectStore; catalog: Catalog } {
  return {
    store: new S3ObjectStore(clients.s3, { bucket: env.bucket, prefix: env.prefix }),
    catalog: new GlueCatalog(clients.glue, {
      database: env.glueDatabase,
      bucket: env.bucket,
      prefix: env.prefix,
    }),
  };
}

/**
 * PostgreSQL (Aurora) from the cluster's secret: TLS verified against the runtime's CA bundle
 * (`NODE_EXTRA_CA_CERTS`), `maxConnections` connections, nothing connected until the first query.
 * The password follows the secret's rotation (`DatabaseSecretCache`, `withAuthRetry`).
 * @example
 * const db = await awsPostgres(secrets, secretArn, 'public', 2);
 */
export async function awsPostgres(
  secrets: SecretsManagerClient,
  secretArn: string,
  schema: string,
  maxConnections: number,
): Promise<SqlDatabase> {
  // The password is read from the cache at every new connection (re-read after 5 minutes, or
  // after a refused login, which is retried once): a rotated secret is picked up while warm.
  const cache = new DatabaseSecretCache(secrets, secretArn);
  const source = `secret ${secretArn}`;
  const connection = pgConnectionFromSecret(await cache.get(), { source });
  const url = `postgres://${encodeURIComponent(connection.user ?? '')}@${connection.host ?? ''}:${connection.port ?? 5432}/${encodeURIComponent(connection.database ?? '')}`;
  const password = async (): Promise<string> =>
    String(pgConnectionFromSecret(await cache.get(), { source }).password);
  const db = createPgDatabase({
    connection: { ...connection, password },
    target: { kind: 'server', url, description: `Aurora PostgreSQL ${url} (TLS)` },
    schema,
    maxConnections,
  });
  return withAuthRetry(db, () => cache.clear());
}
