import { globToRegExp, listExternalSource } from '#core/query/external-sources';
import type { ObjectInfo, ObjectStore } from '#ports/object-store';

function storeOf(objects: ObjectInfo[]): ObjectStore {
  const fail = (): never => {
    throw new Error('not used');
  };
  return {
    root: 'mem://',
    putFile: fail,
    putText: fail,
    getText: fail,
    getRange: fail,
    head: fail,
    sha256: fail,
    deletePrefix: fail,
    list: async (prefix) => objects.filter((o) => o.key.startsWith(prefix)),
    locate: (key) => `mem://${key}`,
  };
}

describe('globToRegExp', () => {
  it.each([
    ['**/*.parquet', 'Login/2025-02-15.parquet', true],
    ['**/*.parquet', 'top.parquet', true],
    ['**/*.parquet', 'a/b/c.parquet', true],
    ['**/*.parquet', 'Login/notes.txt', false],
    ['*.parquet', 'Login/2025-02-15.parquet', false],
    ['*/2025-02-??.parquet', 'Login/2025-02-15.parquet', true],
    ['Login/**', 'Login/x/y.parquet', true],
    ['a.b/*.parquet', 'aXb/c.parquet', false],
  ])('%s matches %s: %s', (pattern, key, expected) => {
    expect(globToRegExp(pattern).test(key)).toBe(expected);
  });
});

describe('listExternalSource', () => {
  it('counts the matching files under the prefix, with their sizes and event types', async () => {
    const store = storeOf([
      { key: 'events/GameOpened/2025-02-15.parquet', bytes: 100 },
      { key: 'events/Login/2025-02-14.parquet', bytes: 30 },
      { key: 'events/Login/2025-02-15.parquet', bytes: 20 },
      { key: 'events/Login/_SUCCESS', bytes: 0 },
      { key: 'other/x.parquet', bytes: 999 },
    ]);

    const listing = await listExternalSource(store, {
      bucket: 'analytics-exports',
      prefix: 'events/',
      pattern: '**/*.parquet',
      event_type_from_path: true,
    });

    expect(listing).toEqual({
      bucket: 'analytics-exports',
      prefix: 'events/',
      files: 3,
      bytes: 150,
      eventTypes: ['GameOpened', 'Login'],
    });
  });

  it('leaves event types out unless the source takes them from the path', async () => {
    const store = storeOf([{ key: 'exports/a.parquet', bytes: 5 }]);

    const listing = await listExternalSource(store, {
      bucket: 'b-1',
      prefix: 'exports/',
      pattern: '**/*.parquet',
      event_type_from_path: false,
    });

    expect(listing).toEqual({ bucket: 'b-1', prefix: 'exports/', files: 1, bytes: 5 });
  });
});
