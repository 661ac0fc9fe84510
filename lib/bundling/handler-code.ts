import * as path from 'path';
import { AssetHashType } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { BuildOptions } from 'esbuild';
import { handlerEntry, type HandlerName } from '../../catalog/handlers';
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

/**
 * Bundles one handler's entry (relative to the repository's root) into `outfile`, in this process through esbuild's
 * JavaScript API: one esbuild call, no shell and no `npx` (which NodejsFunction's local bundling starts for every
 * function, and which made up most of a cold synth's bundling time).
 */
export function bundleHandlerSync(entry: string, outfile: string): void {
  // Loaded only when a bundle is built: a synth whose cdk.out holds every bundle does not load esbuild.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  esbuild.buildSync({ ...HANDLER_BUNDLE_OPTIONS, entryPoints: [path.join(PROJECT_ROOT, entry)], outfile });
}

/**
 * A handler's Lambda code: its bundle (built by {@link bundleHandlerSync}, on this machine: never Docker), as an
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
          bundleHandlerSync(entry, path.join(outputDir, 'index.js'));
          return true;
        },
      },
    },
  });
}
