/**
 * `npm run build:cli`: bundles bin/fleapo-secrets.ts into dist/fleapo-secrets.js, the file package.json's `bin`
 * names (run by `prepare`, so `npm ci` leaves `npx fleapo-secrets` ready). Dependencies stay in node_modules
 * (`packages: 'external'`): the command runs inside this checkout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync, type BuildOptions } from 'esbuild';
import { ESBUILD_TARGET } from '../lib/node-version';

export const CLI_ENTRY = path.join(__dirname, '..', 'bin', 'fleapo-secrets.ts');
export const CLI_OUTFILE = path.join(__dirname, '..', 'dist', 'fleapo-secrets.js');

/** How the CLI is bundled: for the Node this project requires (lib/node-version.ts). */
export const CLI_BUILD_OPTIONS = {
  entryPoints: [CLI_ENTRY],
  bundle: true,
  platform: 'node',
  target: ESBUILD_TARGET,
  format: 'cjs',
  packages: 'external',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** Builds the CLI into `outfile` (tests build their own copy). */
export function buildCli(outfile = CLI_OUTFILE): string {
  buildSync({ ...CLI_BUILD_OPTIONS, outfile });
  fs.chmodSync(outfile, 0o755);
  return outfile;
}

if (require.main === module) buildCli();
