import { defaultConfig, resolveConfig } from '#core/config/resolve';
import { decodeConfigText, encodeConfigForEnv } from '#core/config/transport';
import { configFromEnv, perContainer } from '#lambdas/env';
import existingDatabaseFixture from '../fixtures/config-existing-database.json';

describe('config transport to the functions', () => {
  test('a large config travels gzip-compressed and comes back resolved to the same values', () => {
    // Prepare
    const config = defaultConfig();

    // Act
    const value = encodeConfigForEnv(config, 'prod');
    const back = configFromEnv({ THERMOCLINE_CONFIG_JSON: value });

    // Assess
    expect([value.startsWith('gzip:'), value.length < 1500]).toEqual([true, true]);
    expect([
      back.tables,
      back.mappings,
      back.s3_sources,
      back.query,
      back.environments.prod,
    ]).toEqual([
      config.tables,
      config.mappings,
      config.s3_sources,
      config.query,
      config.environments.prod,
    ]);
  });

  test('where the stacks deploy (account, region, database) does not travel to the functions', () => {
    // Prepare
    const config = resolveConfig(existingDatabaseFixture, 'test');

    // Act
    const sent = JSON.parse(decodeConfigText(encodeConfigForEnv(config, 'prod'))) as {
      environments: { prod: Record<string, unknown> };
    };

    // Assess
    expect(Object.keys(sent.environments.prod)).toEqual(
      expect.not.arrayContaining(['account', 'region', 'database']),
    );
    expect(sent.environments.prod['scan_cutoff_gb']).toBe(config.environments.prod.scan_cutoff_gb);
  });

  test('a small config stays plain JSON', () => {
    // Prepare
    const config = resolveConfig({ use_sample_defaults: false }, 'test');

    // Act
    const value = encodeConfigForEnv(config, 'dev');

    // Assess
    expect(decodeConfigText(value)).toBe(value);
    expect(JSON.parse(value).tables).toEqual([]);
  });

  test('a corrupt compressed value is reported naming the variable', () => {
    expect(() => configFromEnv({ THERMOCLINE_CONFIG_JSON: 'gzip:bm90IGd6aXA=' })).toThrow(
      /environment variable THERMOCLINE_CONFIG_JSON is not valid JSON/,
    );
  });
});

describe('perContainer', () => {
  test('builds once and keeps the value for later calls', async () => {
    let builds = 0;
    const get = perContainer(
      async () => ++builds,
      (e) => e as Error,
    );

    expect([await get(), await get(), builds]).toEqual([1, 1, 1]);
  });

  test('does not keep a failed build: the error leaves renamed and the next call builds again', async () => {
    let builds = 0;
    const get = perContainer(
      async () => {
        builds += 1;
        if (builds === 1) throw new Error('throttled');
        return 'ready';
      },
      (e) => Object.assign(e as Error, { name: 'TransientError' }),
    );

    await expect(get()).rejects.toMatchObject({ name: 'TransientError', message: 'throttled' });
    expect([await get(), builds]).toEqual(['ready', 2]);
  });
});
