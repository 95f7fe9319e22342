/**
 * Four projects: `unit` (no network, no server), `integration` (real Postgres on
 * 127.0.0.1:5432 when it answers, the embedded PGlite otherwise), `reliability` (faults, races,
 * hostile input against the PostgreSQL server and, where it differs, the embedded PGlite:
 * docs/reliability.md) and `browser` (the console in
 * headless Chromium against `thermocline up`; needs /usr/bin/chromium or CHROMIUM_PATH).
 * `npm test` runs all four.
 */
const { availableParallelism } = require('node:os');

const transform = { '^.+\\.(t|j|mj)s$': '<rootDir>/test/support/esbuild-transform.cjs' };
const common = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  // ESM-only packages the code under test requires are compiled to CommonJS like our sources.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|hyparquet)/)'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      slowTestThreshold: 30,
    },
    {
      ...common,
      displayName: 'reliability',
      testMatch: ['<rootDir>/test/reliability/**/*.test.ts'],
      slowTestThreshold: 30,
    },
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
      slowTestThreshold: 60,
    },
  ],
  testTimeout: 120000,
  // Jest's default is one worker less than the cores: one worker on a 2-core CI machine. Most
  // suites wait on child processes and the database, so two workers there halve the wall time.
  maxWorkers: Math.max(2, availableParallelism() - 1),
};
