/**
 * The AWS SDK clients are aligned: each is at the newest release the lock file pins, and they all
 * share one `@aws-sdk/core` and one `@smithy/core` (no nested copies), so the Lambda bundles carry
 * one SDK core. AWS publishes a client only when it changes, so the clients' own version numbers
 * differ (`client-rds-data` 3.1143.0 next to `client-s3` 3.1178.0) while the core is one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockPackage {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
}

const root = join(__dirname, '..', '..');
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockPackage>;
};
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

/** Every installed copy of `name` in the lock file: its path and version. */
function copiesOf(name: string): { path: string; version: string | undefined }[] {
  return Object.entries(lock.packages)
    .filter(([path]) => path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`))
    .map(([path, pkg]) => ({ path, version: pkg.version }));
}

describe('the AWS SDK in the lock file', () => {
  const clients = Object.keys(manifest.dependencies).filter((name) =>
    name.startsWith('@aws-sdk/client-'),
  );

  test('names the clients the adapters use', () => {
    expect(clients.length).toBeGreaterThanOrEqual(8);
  });

  test.each(['@aws-sdk/core', '@smithy/core'])('has one copy of %s', (name) => {
    expect(copiesOf(name)).toHaveLength(1);
  });

  test('pins every client exactly, at the version installed', () => {
    for (const client of clients) {
      const wanted = manifest.dependencies[client];
      expect(wanted).toMatch(/^\d+\.\d+\.\d+$/);
      expect(lock.packages[`node_modules/${client}`]?.version).toBe(wanted);
    }
  });
});
