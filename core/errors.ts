/**
 * Errors that carry what the user must know: a stable code (for `--json` and the API) and the
 * process exit code the CLI uses. Messages show the bad value and say what to do.
 */
export class ThermoclineError extends Error {
  constructor(
    message: string,
    /** Stable machine-readable code, e.g. `usage`, `database_unavailable`. */
    readonly code: string,
    /** Exit code of the CLI: 1 failure, 2 bad input, 3 a dependency is unreachable. */
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: flags, arguments, values. Exit code 2. */
export class UsageError extends ThermoclineError {
  constructor(message: string) {
    super(message, 'usage', 2);
  }
}

/** PostgreSQL cannot be reached or opened. Exit code 3. */
export class DatabaseUnavailableError extends ThermoclineError {
  constructor(message: string) {
    super(message, 'database_unavailable', 3);
  }
}

/** The request conflicts with what is already there (e.g. seeding a loaded database). Exit 1. */
export class ConflictError extends ThermoclineError {
  constructor(message: string) {
    super(message, 'conflict', 1);
  }
}
