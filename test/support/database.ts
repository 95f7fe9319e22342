/** The scratch databases of the test suites (see `#adapters/scratch-database`). */
export * from '#adapters/scratch-database';
