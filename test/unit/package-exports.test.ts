import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as thermocline from '../../index';

describe('the package entry point', () => {
  test('package.json names index.ts as main and types', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
      main?: string;
      types?: string;
    };
    expect([manifest.main, manifest.types]).toEqual(['index.ts', 'index.ts']);
  });

  test('exports the programmatic clients (in-process and HTTP) and the services they drive', () => {
    expect(
      Object.entries({
        ThermoclineClient: thermocline.ThermoclineClient,
        openLocalQueryService: thermocline.openLocalQueryService,
        createQueryService: thermocline.createQueryService,
        openDatabase: thermocline.openDatabase,
        loadConfig: thermocline.loadConfig,
        parsePlan: thermocline.parsePlan,
        ThermoclineHttpClient: thermocline.ThermoclineHttpClient,
        sigV4Signer: thermocline.sigV4Signer,
        openApiDocument: thermocline.openApiDocument,
      }).map(([name, value]) => [name, typeof value]),
    ).toEqual([
      ['ThermoclineClient', 'function'],
      ['openLocalQueryService', 'function'],
      ['createQueryService', 'function'],
      ['openDatabase', 'function'],
      ['loadConfig', 'function'],
      ['parsePlan', 'function'],
      ['ThermoclineHttpClient', 'function'],
      ['sigV4Signer', 'function'],
      ['openApiDocument', 'function'],
    ]);
  });

  test('parsePlan from the entry point validates a plan with the seed’s shape', () => {
    const plan = thermocline.parsePlan({
      steps: [
        {
          id: 's1',
          type: 'AthenaQuery',
          sql: "SELECT 1 FROM events WHERE event_type = 'x' AND dt = '2025-02-15'",
        },
        {
          id: 's2',
          type: 'AuroraQuery',
          sql: 'SELECT 1 FROM members WHERE member_code = ANY($1)',
          bind: { $1: { ref: 's1', field: 'memberCode' } },
        },
      ],
    });
    expect(plan.output).toBe('s2');
  });
});
