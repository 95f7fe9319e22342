/**
 * Three projects: `unit` (no network, no server), `integration` (real Postgres on
 * 127.0.0.1:5432 when it answers, the embedded PGlite otherwise) and `reliability` (faults, races,
 * hostile input against the PostgreSQL server: docs/reliability.md). `npm test` runs all three.
 */
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
  ],
  testTimeout: 120000,
};
