/**
 * External S3 sources (config `s3_sources`, the seed's `[[aws.s3.sources]]`): buckets of Parquet
 * files outside the lake, listed in the catalog with file counts and sizes and read by the
 * `S3ParquetRead` step. Locally a source's bucket is the directory `THERMOCLINE_HOME/s3/<bucket>/`
 * (`openLocalBucket`).
 */
import type { S3SourceConfig } from '#core/config/schema';
import type { ObjectStore } from '#ports/object-store';

/** What an external source holds now. */
export interface ExternalSourceListing {
  readonly bucket: string;
  readonly prefix: string;
  /** Objects under the prefix whose key (relative to the prefix) matches the pattern. */
  readonly files: number;
  /** Their total size in bytes. */
  readonly bytes: number;
  /** With `event_type_from_path`: the distinct first path segments under the prefix, sorted. */
  readonly eventTypes?: readonly string[];
}

/**
 * Lists a source: the objects of `store` (the source's bucket) under `source.prefix` whose key
 * relative to the prefix matches `source.pattern` ({@link globToRegExp}), with their count and
 * total size, and the event types of their paths when `event_type_from_path` is set.
 * @example
 * await listExternalSource(openLocalBucket(home, 'analytics-exports'), {
 *   bucket: 'analytics-exports', prefix: 'events/', pattern: '**\/*.parquet', event_type_from_path: true,
 * });
 * // { bucket: 'analytics-exports', prefix: 'events/', files: 12, bytes: 48211, eventTypes: ['GameOpened', 'Login', …] }
 */
export async function listExternalSource(
  store: ObjectStore,
  source: S3SourceConfig,
): Promise<ExternalSourceListing> {
  const matcher = globToRegExp(source.pattern);
  let files = 0;
  let bytes = 0;
  const eventTypes = new Set<string>();
  for (const object of await store.list(source.prefix)) {
    const relative = object.key.slice(source.prefix.length);
    if (!matcher.test(relative)) continue;
    files += 1;
    bytes += object.bytes;
    const slash = relative.indexOf('/');
    if (source.event_type_from_path && slash > 0) eventTypes.add(relative.slice(0, slash));
  }
  return {
    bucket: source.bucket,
    prefix: source.prefix,
    files,
    bytes,
    ...(source.event_type_from_path ? { eventTypes: [...eventTypes].sort() } : {}),
  };
}

/**
 * A glob over `/`-separated keys as a RegExp matching the whole key: `**` any number of path
 * segments (`**\/` also none, so `**\/*.parquet` matches `a.parquet`), `*` any characters but
 * `/`, `?` one character but `/`, everything else literally.
 * @example
 * globToRegExp('**\/*.parquet').test('Login/2025-02-15.parquet'); // true
 * globToRegExp('*.parquet').test('Login/2025-02-15.parquet'); // false
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern.charAt(i);
    if (c === '*' && pattern.charAt(i + 1) === '*') {
      const atSegmentStart = i === 0 || pattern.charAt(i - 1) === '/';
      if (atSegmentStart && pattern.charAt(i + 2) === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (c === '*') {
      source += '[^/]*';
    } else if (c === '?') {
      source += '[^/]';
    } else {
      source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
