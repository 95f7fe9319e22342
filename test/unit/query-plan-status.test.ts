import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore } from '#adapters/local/fs-object-store';
import { UsageError } from '#core/errors';
import { parsePlan } from '#core/query/query-plan';
import {
  newPlanId,
  PlanNotFoundError,
  writePlanState,
  writeStepOutput,
} from '#core/query/plan-store';
import { finishPlan } from '#core/query/plan-tasks';
import { createQueryService } from '#core/query/query-service';
import { RESULT_PAGE_ROWS } from '#core/query/plan-status';
import type { QueryServiceDeps } from '#core/query/service-deps';
import type { QueryService } from '#core/query/service-contract';
import { fixedClock } from '#ports/clock';

const clock = fixedClock('2025-02-16T06:00:00Z');
const ROWS = 2 * RESULT_PAGE_ROWS + 500;

describe('a finished plan as GET /plans/{id} shows it', () => {
  let dir: string;
  let results: FsObjectStore;
  let service: QueryService;
  let id: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'thermocline-plan-status-test-'));
    results = new FsObjectStore(dir);
    // getPlan reads the results store only: the engines and the catalog are never touched.
    service = createQueryService({ results, clock } as unknown as QueryServiceDeps);
    id = newPlanId(clock.now());
    await writePlanState(results, {
      format: 1,
      id,
      status: 'running',
      caller: 'local:ann',
      submittedAt: clock.now().toISOString(),
      plan: parsePlan({ steps: [{ id: 's1', type: 'AuroraQuery', sql: 'SELECT n FROM t' }] }),
      order: ['s1'],
      steps: [
        {
          id: 's1',
          type: 'AuroraQuery',
          status: 'succeeded',
          engine: 'postgres',
          bytesScanned: 0,
          costUsd: 0,
          rows: ROWS,
        },
      ],
      warnings: [],
    });
    await writeStepOutput(results, id, {
      step: 's1',
      columns: [{ name: 'n', type: 'int4' }],
      rows: Array.from({ length: ROWS }, (_, n) => ({ n })),
      totalRows: ROWS,
      truncated: false,
    });
    await finishPlan({ results, clock }, id);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('carries the first page of the output inline, with a token for the next', async () => {
    const status = await service.getPlan(id);

    expect(status.status).toBe('succeeded');
    expect(status.result?.rows).toHaveLength(RESULT_PAGE_ROWS);
    expect(status.result?.totalRows).toBe(ROWS);
    expect(status.result?.nextPage).toBe(String(RESULT_PAGE_ROWS));
    expect(status.result?.archivedAt).toBe(results.locate(`_results/${id}/s1.json`));
  });

  it('serves the last page without a next token', async () => {
    const status = await service.getPlan(id, { page: String(2 * RESULT_PAGE_ROWS) });

    expect(status.result?.rows[0]).toEqual({ n: 2 * RESULT_PAGE_ROWS });
    expect(status.result?.rows).toHaveLength(500);
    expect(status.result?.nextPage).toBeUndefined();
  });

  it('refuses a page token it did not issue', async () => {
    await expect(service.getPlan(id, { page: 'abc' })).rejects.toThrow(UsageError);
  });

  it('answers 404 for an unknown plan and for anything that is not a plan id', async () => {
    await expect(service.getPlan(newPlanId(clock.now()))).rejects.toThrow(PlanNotFoundError);
    await expect(service.getPlan('../../etc/passwd')).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
  });
});
