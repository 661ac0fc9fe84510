/**
 * ES-module-only packages (better-auth 1.7 and its dependencies) that jest's CommonJS runtime must see as CommonJS:
 * test/support/jest-esm-transform.cjs compiles them with esbuild.
 */
const ESM_ONLY = [
  'better-auth',
  '@better-auth',
  'better-call',
  '@better-fetch',
  '@noble',
  'nanostores',
  'jose',
  'rou3',
  'defu',
  'uncrypto',
  'kysely',
  'zod',
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/packages'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: {
    // Type checking is `tsc --noEmit` in `npm test`; jest only strips types.
    '^.+\\.tsx?$': 'ts-jest',
    '^.+\\.m?js$': '<rootDir>/test/support/jest-esm-transform.cjs',
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'mjs', 'cjs', 'json', 'node'],
  testTimeout: 120000,
  // Both cores of a small machine (jest's default keeps one free, which makes a 2-core run serial).
  maxWorkers: 2,
  // How long a worker may take to exit once jest tells it to end before jest kills it and warns "failed to exit
  // gracefully". Measured: a worker's event loop is empty 0-6 ms after that message (nothing left open), but the
  // process, 0.6-1 GB resident after the suite, takes 260-300 ms to be torn down at load 3 on 2 cores (more when the
  // machine is busier): jest's default of 500 ms is too tight for that, not a leak. A real leak (a server, socket,
  // child or timer left behind) still shows, after this long.
  workerGracefulExitTimeout: 3000,
  // Kept with the project, not in the temp directory (which a run must leave as it found it).
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
  // One temp directory per run (nothing may be left in it), the real app synthesized once, a shared validation cache.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // A skipped test fails the run unless test/support/declared-skips.ts declares it with its reason.
  reporters: ['default', '<rootDir>/test/support/declared-skips-reporter.cjs'],
  // Each test file's own temp directory, removed after it; its validation worker thread, stopped after it.
  setupFilesAfterEnv: ['<rootDir>/test/support/per-file-tmp.ts', '<rootDir>/test/support/stop-validation-worker.ts'],
};
