import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** The project root (where package-lock.json is). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

const SOURCE_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json']);

/** Every source file (TypeScript, JavaScript, JSON) under `dir`, sorted, outside node_modules. */
export function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(full);
      return entry.isFile() && SOURCE_EXTENSIONS.has(path.extname(entry.name)) ? [full] : [];
    });
}

function esbuildVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(require.resolve('esbuild/package.json', { paths: [PROJECT_ROOT] }), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'none';
  }
}

/** The folders a handler's bundle may take source from: the handlers' own, the runtime they share with the CLI, and the catalog. */
export const HANDLER_SOURCE_DIRS = [
  path.join(PROJECT_ROOT, 'lambda'),
  path.join(PROJECT_ROOT, 'runtime'),
  path.join(PROJECT_ROOT, 'catalog'),
];

/**
 * A hash of everything a Lambda bundle is built from: the entry, every source file under `sourceDirs` (a handler may
 * import any file of lambda/ and catalog/), the lock file (the exact version of every bundled dependency), tsconfig.json,
 * esbuild's version and the bundling options. Used as the asset hash of a NodejsFunction, it lets aws-cdk-lib skip
 * bundling when `cdk.out` already holds `asset.<hash>`; any change to any of these inputs is a new hash, so a new
 * bundle (and a new deployment of the function).
 */
export function lambdaSourceHash(entry: string, bundlingOptions: unknown, sourceDirs: readonly string[] = HANDLER_SOURCE_DIRS): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ entry: path.relative(PROJECT_ROOT, entry), bundlingOptions, esbuild: esbuildVersion() }));
  const inputs = [
    ...sourceDirs.flatMap((dir) => sourceFiles(dir)),
    path.join(PROJECT_ROOT, 'package-lock.json'),
    path.join(PROJECT_ROOT, 'tsconfig.json'),
  ];
  for (const file of inputs) {
    hash.update(`\0${path.relative(PROJECT_ROOT, file)}\0`);
    hash.update(fs.existsSync(file) ? fs.readFileSync(file) : '<missing>');
  }
  return hash.digest('hex');
}
