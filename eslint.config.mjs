// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/**
 * The dependency rule, enforced: logic (core outside its adapters, etl) sees ports, never drivers,
 * SDKs or the file system; adapters implement ports and see no commands, stacks or handlers; the
 * composition layer (runtime/) alone wires adapters to ports; the CLI (cli/), the Lambda handlers
 * (lambdas/) and the entry points (bin/, index.ts) ask runtime/ and import no adapter, driver or
 * SDK themselves; lib/ (CDK) reads core's contracts and the state-machine definitions only;
 * benchmarks do not borrow from the tests. Tests may import anything.
 */
const DRIVERS = [
  'pg',
  'pg-copy-streams',
  '@electric-sql/pglite',
  '@electric-sql/pglite/*',
  '@duckdb/*',
  'hyparquet',
  '@aws-sdk/*',
  'node:fs',
  'node:fs/promises',
  'node:child_process',
  'node:net',
];
const OUTER = ['#cli/*', '#lib/*', '#lambdas/*', '#runtime/*', '#test/*'];
/** A gitignore-style pattern as a regular expression (`#` would start a gitignore comment). */
const toRegex = (pattern) =>
  `^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`;
const restrict = (files, patterns, why) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: [{ regex: patterns.map(toRegex).join('|'), message: why }] },
    ],
  },
});
const dependencyRules = [
  restrict(
    ['core/**/*.ts'],
    [...OUTER, '#etl/*', 'aws-cdk-lib', 'aws-cdk-lib/*'],
    'core/ does not depend on etl/, the composition roots (runtime/, cli/, lambdas/), lib/ or tests',
  ),
  {
    ...restrict(
      ['core/**/*.ts'],
      [...OUTER, '#etl/*', '#adapters/*', 'aws-cdk-lib', 'aws-cdk-lib/*', ...DRIVERS],
      'logic in core/ uses ports (core/ports); drivers, SDKs and the file system belong in core/adapters, wired in runtime/, cli/ or lambdas/',
    ),
    ignores: ['core/adapters/**'],
  },
  restrict(
    ['etl/**/*.ts'],
    [...OUTER, '#adapters/*', 'aws-cdk-lib', 'aws-cdk-lib/*', ...DRIVERS],
    'etl/ is logic: it uses ports (core/ports), wired to adapters in runtime/, cli/ or lambdas/',
  ),
  restrict(
    ['lib/**/*.ts'],
    [...OUTER, '#adapters/*', ...DRIVERS.filter((d) => !d.startsWith('node:fs'))],
    "lib/ (CDK) reads core's contracts and the state-machine definitions, not adapters or handlers",
  ),
  restrict(
    ['runtime/**/*.ts'],
    ['#cli/*', '#lib/*', '#lambdas/*', '#test/*', 'aws-cdk-lib', 'aws-cdk-lib/*'],
    'runtime/ is the composition layer: commands (cli/), handlers (lambdas/) and stacks (lib/) use it, not the other way round',
  ),
  restrict(
    ['cli/**/*.ts'],
    ['#adapters/*', '#lambdas/*', '#lib/*', '#test/*', ...DRIVERS],
    'cli/ asks runtime/local for what it works with: only runtime/ wires adapters (drivers, SDKs, the file system) to ports',
  ),
  restrict(
    ['lambdas/**/*.ts'],
    ['#adapters/*', '#cli/*', '#lib/*', '#test/*', ...DRIVERS],
    'lambdas/ handlers ask runtime/aws for their dependencies and SDK clients: only runtime/ wires adapters (drivers, SDKs) to ports',
  ),
  restrict(
    ['bin/**/*.ts', 'index.ts'],
    ['#adapters/*', '#test/*', ...DRIVERS],
    'entry points import runtime/ (e.g. runtime/local/config), not adapters, drivers or SDKs',
  ),
  restrict(
    ['bench/**/*.ts'],
    ['#test/*', '../test/*'],
    'benchmarks do not import the tests: shared helpers live in core/adapters (e.g. scratch-database)',
  ),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.thermocline/', 'coverage/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='only']",
          message: 'No .only left behind.',
        },
        {
          selector: "CallExpression[callee.property.name='skip']",
          message: 'No .skip left behind.',
        },
      ],
    },
  },
  ...dependencyRules,
);
