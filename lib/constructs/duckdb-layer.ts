/**
 * DuckDB's Node packages as a Lambda layer, copied from this repository's `node_modules` at synth
 * time (no Docker, no network): the export function keeps `@duckdb/node-api` out of its bundle
 * because the engine is a native binary esbuild cannot bundle.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { FUNCTION_RUNTIME } from './thermocline-function';

/** The module the functions using the layer keep external (`externalModules`). */
export const DUCKDB_MODULE = '@duckdb/node-api';

/** Properties of a {@link DuckDbLayer}. */
export interface DuckDbLayerProps {
  /**
   * The architecture of the native binding the layer carries; the functions using it must have
   * the same. The binding for it must be installed in `nodeModulesDir`.
   * @default lambda.Architecture.X86_64 - `@duckdb/node-bindings-linux-x64`, the one npm installs
   * on the x86_64 build machines
   */
  readonly architecture?: lambda.Architecture;
  /**
   * The `node_modules` folder the packages are copied from.
   * @default - this repository's `node_modules`
   */
  readonly nodeModulesDir?: string;
  /**
   * The layer's description.
   * @default - names the packages, their version and the platform
   */
  readonly description?: string;
}

/**
 * A Lambda layer holding `nodejs/node_modules/@duckdb/{node-api,node-bindings,node-bindings-<platform>}`
 * (about 70 MB unzipped, within Lambda's 250 MB), found by Node through the runtime's
 * `NODE_PATH` (`/opt/nodejs/node_modules`).
 *
 * The packages are copied from `node_modules` by the asset's local bundling; the asset hash is
 * the packages' version and platform, so an unchanged DuckDB is not uploaded again.
 *
 * **Why x86_64 by default.** npm installs only the binding of the machine it runs on
 * (`@duckdb/node-bindings` lists each platform as an optional dependency), and this repository's
 * build machines are x86_64, so only `node-bindings-linux-x64` is there. An arm64 layer (and an
 * arm64 export function, like the other functions) needs `node-bindings-linux-arm64` installed for
 * the build — `npm run duckdb:arm64` (`npm install --no-save --force` of that package; the app's
 * `-c duckdbArch=arm64` then builds the layer and the DuckDB functions for arm64), or a build on an
 * arm64 machine. Asking for a platform whose binding is missing fails the synth with what to run.
 * @example
 * const duckdb = new DuckDbLayer(this, 'DuckDbLayer');
 * new ThermoclineFunction(this, 'ExportFunction', {
 *   …,
 *   architecture: duckdb.architecture,
 *   externalModules: [DUCKDB_MODULE],
 *   layers: [duckdb.layer],
 * });
 */
export class DuckDbLayer extends Construct {
  /** The layer. */
  readonly layer: lambda.LayerVersion;
  /** The architecture of the native binding in the layer. */
  readonly architecture: lambda.Architecture;
  /** The version of `@duckdb/node-api` in the layer. */
  readonly version: string;

  constructor(scope: Construct, id: string, props: DuckDbLayerProps = {}) {
    super(scope, id);
    this.architecture = props.architecture ?? lambda.Architecture.X86_64;
    const nodeModules = props.nodeModulesDir ?? resolve(__dirname, '../../node_modules');
    const platform = this.architecture === lambda.Architecture.ARM_64 ? 'linux-arm64' : 'linux-x64';
    const packages = ['node-api', 'node-bindings', `node-bindings-${platform}`];
    for (const name of packages) {
      const folder = join(nodeModules, '@duckdb', name);
      if (!existsSync(join(folder, 'package.json'))) {
        throw new Error(
          `DuckDbLayer needs ${folder} for a ${this.architecture.name} layer, and it is not ` +
            `there. npm installs only the running machine's binding; for linux-arm64 run ` +
            `'npm run duckdb:arm64' on the build machine (it installs @duckdb/node-bindings-${platform} ` +
            `with --force, past npm's platform check), or build the layer for the architecture ` +
            `whose binding is installed`,
        );
      }
    }
    this.version = packageVersion(join(nodeModules, '@duckdb', 'node-api'));

    this.layer = new lambda.LayerVersion(this, 'Layer', {
      description:
        props.description ??
        `DuckDB ${this.version} for Node (${DUCKDB_MODULE}, native binding ${platform})`,
      compatibleRuntimes: [FUNCTION_RUNTIME],
      compatibleArchitectures: [this.architecture],
      code: lambda.Code.fromAsset(join(nodeModules, '@duckdb', 'node-api'), {
        assetHashType: AssetHashType.CUSTOM,
        assetHash: `duckdb-${this.version}-${platform}`,
        bundling: {
          // Never pulled: the local copy below always succeeds (or throws).
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
          local: {
            tryBundle(outputDir: string): boolean {
              for (const name of packages) {
                cpSync(
                  join(nodeModules, '@duckdb', name),
                  join(outputDir, 'nodejs', 'node_modules', '@duckdb', name),
                  { recursive: true, dereference: true },
                );
              }
              return true;
            },
          },
        },
      }),
    });
  }
}

/** The `version` of the package in `folder`. */
function packageVersion(folder: string): string {
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  if (typeof manifest.version !== 'string') {
    throw new Error(`${folder}/package.json has no version; reinstall the package (npm ci)`);
  }
  return manifest.version;
}
