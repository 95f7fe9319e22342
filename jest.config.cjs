/**
 * Two projects: `unit` (no network, no server) and `integration` (real Postgres on
 * 127.0.0.1:5432 when it answers, the embedded PGlite otherwise). `npm test` runs both.
 */
const transform = {
  '^.+\\.(t|j|mj)s$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};
const common = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  // ESM-only packages are compiled to CommonJS by swc like our own sources.
  transformIgnorePatterns: ['/node_modules/(?!(@electric-sql)/)'],
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
  ],
  testTimeout: 120000,
};
