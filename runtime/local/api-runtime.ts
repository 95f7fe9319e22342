/**
 * The query API on the local runtime (`thermocline serve`, `npm start`): the API handler the
 * Lambda runs, over the local query service (`query-runtime.ts`), behind the local HTTP server,
 * with the console's insights (`insights.ts`) and its page.
 */
import { startLocalApiServer, type LocalApiServer } from '#adapters/local/http-server';
import { apiExamples, curlCommand } from '#core/api/examples';
import { createApiHandler } from '#core/api/handler';
import type { SqlDatabase } from '#ports/sql';
import type { LocalRuntime } from '#runtime/local/local-runtime';
import { openLocalQueryService } from '#runtime/local/query-runtime';
import { openLocalInsights } from '#runtime/local/insights';
import { consolePages } from '#adapters/local/console-bundle';

/** The query API running locally, over the local query service. */
export interface RunningApi {
  readonly server: LocalApiServer;
  /** Curl lines (with a `#` comment line before each) that work on the lake as it is. */
  readonly examples: readonly string[];
  /**
   * Stops the API: the server takes no new requests, the running plans are cancelled (their
   * queries interrupted) and the queued ones fail, requests still open get
   * {@link CLOSE_GRACE_MS} to answer, then the service closes.
   */
  close(): Promise<void>;
}

/** How long requests still open when the API stops may take to answer before they are cut. */
export const CLOSE_GRACE_MS = 2000;

/**
 * Starts the query API on 127.0.0.1:`port` over the local service (the same handler the Lambda
 * runs); access lines go to stderr unless `quiet`.
 * @example
 * const api = await startLocalApi(context, db, 3000, { quiet: false });
 * api.server.url; // 'http://127.0.0.1:3000'
 */
export async function startLocalApi(
  context: LocalRuntime,
  db: SqlDatabase,
  port: number,
  options: { readonly quiet: boolean },
): Promise<RunningApi> {
  const service = await openLocalQueryService({
    config: context.config,
    home: context.home,
    db,
  });
  try {
    const server = await startLocalApiServer({
      handler: createApiHandler(service, {
        waitMs: context.config.query.wait_seconds * 1000,
        insights: openLocalInsights({ config: context.config, home: context.home, db }),
      }),
      pages: consolePages(),
      port,
      onRequest: options.quiet
        ? undefined
        : (r) =>
            process.stderr.write(
              `  ${r.method} ${r.path} → ${r.status} (${r.ms} ms, request ${r.requestId})\n`,
            ),
    });
    const examples = (await apiExamples(context.lake.catalog)).flatMap((example) => [
      `# ${example.description}`,
      curlCommand(server.url, example),
    ]);
    return {
      server,
      examples,
      close: async () => {
        const closing = server.close({ graceMs: CLOSE_GRACE_MS });
        await service.close({ cancel: true });
        await closing;
      },
    };
  } catch (error) {
    await service.close();
    throw error;
  }
}
