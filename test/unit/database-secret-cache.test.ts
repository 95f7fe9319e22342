import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DatabaseSecretCache,
  isAuthFailure,
  retryOnAuthFailure,
  SECRET_MAX_AGE_MS,
  withAuthRetry,
} from '#adapters/aws/database-secret-cache';
import type { SqlDatabase } from '#ports/sql';

const secretsMock = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';

/** A pg error as `pg` raises it for a refused login. */
function loginRefused(): Error {
  return Object.assign(new Error('password authentication failed for user "thermocline"'), {
    code: '28P01',
  });
}

afterEach(() => {
  secretsMock.reset();
});

describe('DatabaseSecretCache', () => {
  test('reads the secret once while it is younger than the maximum age', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{"password":"one"}' });
    let now = 0;
    const cache = new DatabaseSecretCache(client, SECRET_ARN, { now: () => now });

    // Act
    await cache.get();
    now = SECRET_MAX_AGE_MS - 1;
    const text = await cache.get();

    // Assess
    expect([text, secretsMock.commandCalls(GetSecretValueCommand).length]).toEqual([
      '{"password":"one"}',
      1,
    ]);
  });

  test('reads the secret again once it is 5 minutes old (a rotation is picked up)', async () => {
    // Prepare
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"password":"old"}' })
      .resolves({ SecretString: '{"password":"rotated"}' });
    let now = 0;
    const cache = new DatabaseSecretCache(client, SECRET_ARN, { now: () => now });
    await cache.get();

    // Act
    now = SECRET_MAX_AGE_MS;
    const text = await cache.get();

    // Assess
    expect(text).toBe('{"password":"rotated"}');
  });

  test('clear() makes the next get() read the secret again', async () => {
    // Prepare
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"password":"old"}' })
      .resolves({ SecretString: '{"password":"rotated"}' });
    const cache = new DatabaseSecretCache(client, SECRET_ARN, { now: () => 0 });
    await cache.get();

    // Act
    cache.clear();
    const text = await cache.get();

    // Assess
    expect(text).toBe('{"password":"rotated"}');
  });

  test('callers at the same time share one read', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{"password":"one"}' });
    const cache = new DatabaseSecretCache(client, SECRET_ARN);

    // Act
    await Promise.all([cache.get(), cache.get(), cache.get()]);

    // Assess
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  test('a failed read is not kept: the next get() tries again', async () => {
    // Prepare
    secretsMock
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ SecretString: '{"password":"one"}' });
    const cache = new DatabaseSecretCache(client, SECRET_ARN);

    // Act
    const first = cache.get();
    await expect(first).rejects.toThrow(/Rate exceeded/);
    const second = await cache.get();

    // Assess
    expect(second).toBe('{"password":"one"}');
  });

  test('asks Secrets Manager for the configured secret', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{}' });

    // Act
    await new DatabaseSecretCache(client, SECRET_ARN).get();

    // Assess
    expect(secretsMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ARN,
    });
  });
});

describe('isAuthFailure', () => {
  test.each([
    ['pg invalid_password', loginRefused()],
    ['pg invalid_authorization_specification', Object.assign(new Error('x'), { code: '28000' })],
    [
      'a Data API DatabaseErrorException with the SQLState',
      Object.assign(new Error('FATAL: password authentication failed; SQLState: 28P01'), {
        name: 'DatabaseErrorException',
      }),
    ],
    [
      'a Data API InvalidSecretException',
      Object.assign(new Error('x'), { name: 'InvalidSecretException' }),
    ],
  ])('%s is a refused login', (_name, error) => {
    expect(isAuthFailure(error)).toBe(true);
  });

  test.each([
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['a missing database', new Error('database "x" does not exist; SQLState: 3D000')],
    ['a non-error', 'password authentication failed'],
  ])('%s is not', (_name, error) => {
    expect(isAuthFailure(error)).toBe(false);
  });
});

describe('retryOnAuthFailure', () => {
  test('runs the work again once after a refused login, after onAuthFailure', async () => {
    // Prepare
    const events: string[] = [];
    let attempts = 0;
    const work = async (): Promise<string> => {
      attempts++;
      events.push(`attempt ${attempts}`);
      if (attempts === 1) throw loginRefused();
      return 'ok';
    };

    // Act
    const result = await retryOnAuthFailure(work, () => {
      events.push('cleared');
    });

    // Assess
    expect([result, events]).toEqual(['ok', ['attempt 1', 'cleared', 'attempt 2']]);
  });

  test('a second refused login is the caller’s error', async () => {
    // Prepare
    let attempts = 0;
    const work = async (): Promise<string> => {
      attempts++;
      throw loginRefused();
    };

    // Act
    const run = retryOnAuthFailure(work, () => undefined);

    // Assess
    await expect(run).rejects.toThrow(/password authentication failed/);
    expect(attempts).toBe(2);
  });

  test('other errors are not retried', async () => {
    // Prepare
    let attempts = 0;
    const work = async (): Promise<string> => {
      attempts++;
      throw Object.assign(new Error('duplicate key'), { code: '23505' });
    };

    // Act
    const run = retryOnAuthFailure(work, () => undefined);

    // Assess
    await expect(run).rejects.toThrow(/duplicate key/);
    expect(attempts).toBe(1);
  });
});

describe('withAuthRetry', () => {
  /** A database whose first connection is refused. */
  function refusingOnce(): { db: SqlDatabase; calls: string[] } {
    const calls: string[] = [];
    let refused = false;
    const connect = (what: string): void => {
      calls.push(what);
      if (!refused) {
        refused = true;
        throw loginRefused();
      }
    };
    const db: SqlDatabase = {
      target: { kind: 'server', url: 'postgres://x', description: 'test' },
      schema: 'public',
      query: async () => {
        connect('query');
        return [];
      },
      copyFrom: async () => {
        connect('copyFrom');
        return 1;
      },
      copyTo: () => {
        throw new Error('copyTo needs a session');
      },
      transaction: async (work) => {
        connect('transaction');
        return work(db);
      },
      close: async () => undefined,
    };
    return { db, calls };
  }

  test.each(['query', 'copyFrom', 'transaction'] as const)(
    '%s is retried once after a refused login, with the secret cleared in between',
    async (operation) => {
      // Prepare
      const { db, calls } = refusingOnce();
      const wrapped = withAuthRetry(db, () => {
        calls.push('clear');
      });

      // Act
      if (operation === 'query') await wrapped.query('SELECT 1');
      else if (operation === 'copyFrom') await wrapped.copyFrom('COPY t FROM STDIN', ['1\n']);
      else await wrapped.transaction(async () => 'done');

      // Assess
      expect(calls).toEqual([operation, 'clear', operation]);
    },
  );
});
