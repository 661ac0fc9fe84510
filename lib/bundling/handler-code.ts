import * as fs from 'fs';
import * as path from 'path';
import { AssetHashType } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { BuildOptions } from 'esbuild';
import { handlerEntry, HANDLERS, type HandlerName } from '../../catalog/handlers';
import { ESBUILD_TARGET } from '../node-version';
import { lambdaSourceHash, PROJECT_ROOT } from './lambda-source-hash';

/**
 * How every handler is bundled: what aws-cdk-lib's NodejsFunction does for a `nodejs24.x` function with
 * `minify: true` (platform node, CommonJS `index.js`, the AWS SDK v3 left to the runtime), by the same esbuild.
 * The tests and `npm run bench` bundle with these options too.
 */
export const HANDLER_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: ESBUILD_TARGET,
  format: 'cjs',
  minify: true,
  external: ['@aws-sdk/*'],
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** Lambda's `handler` setting for a bundle of {@link handlerCode}: the `handler` export of its `index.js`. */
export const BUNDLE_HANDLER = 'index.handler';

// Loaded only when a bundle is built: a synth whose cdk.out holds every bundle does not load esbuild.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const esbuild = () => require('esbuild') as typeof import('esbuild');

/** Per cloud assembly directory: where this process bundled every handler at once. */
const allBundles = new Map<string, string>();

/**
 * Every handler's bundle, built in this process through esbuild's JavaScript API (no shell, no `npx`, which
 * NodejsFunction's local bundling starts for every function and which made up most of a cold synth's bundling time),
 * by one call the first time a synth into `assemblyDir` needs one: starting esbuild from a synth's large process
 * costs more than bundling, and a cold synth needs them all. Each bundle is byte for byte what a build of its entry
 * alone gives (a test compares). Kept in a directory of the assembly, removed when the process exits. Returns the
 * path of `handler`'s `index.js`.
 */
export function bundleOfEveryHandler(handler: HandlerName, assemblyDir: string): string {
  let dir = allBundles.get(assemblyDir);
  if (!dir || !fs.existsSync(dir)) {
    const built = fs.mkdtempSync(path.join(assemblyDir, '.fleapo-bundles-'));
    process.once('exit', () => fs.rmSync(built, { recursive: true, force: true }));
    esbuild().buildSync({
      ...HANDLER_BUNDLE_OPTIONS,
      entryPoints: Object.fromEntries(
        (Object.keys(HANDLERS) as HandlerName[]).map((name) => [`${name}/index`, path.join(PROJECT_ROOT, handlerEntry(name))]),
      ),
      outdir: built,
    });
    allBundles.set(assemblyDir, (dir = built));
  }
  return path.join(dir, handler, 'index.js');
}

/**
 * A handler's Lambda code: its bundle (built by {@link bundleOfEveryHandler}, on this machine: never Docker), as an
 * asset hashed by its inputs ({@link lambdaSourceHash}), so a synth whose cdk.out already holds the bundle reuses it.
 * Pair it with `handler: BUNDLE_HANDLER` and `runtime`.
 */
export function handlerCode(handler: HandlerName, runtime: lambda.Runtime): lambda.Code {
  const entry = handlerEntry(handler);
  return lambda.Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.CUSTOM,
    assetHash: lambdaSourceHash(path.join(PROJECT_ROOT, entry), HANDLER_BUNDLE_OPTIONS),
    bundling: {
      // Required by the type; never used: local bundling below either builds the bundle or throws.
      image: runtime.bundlingImage,
      local: {
        tryBundle(outputDir: string): boolean {
          // outputDir is a directory of the cloud assembly (aws-cdk-lib's bundling-temp-<hash>).
          fs.copyFileSync(bundleOfEveryHandler(handler, path.dirname(outputDir)), path.join(outputDir, 'index.js'));
          return true;
        },
      },
    },
  });
}
