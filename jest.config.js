/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is `tsc --noEmit` in `npm test`; jest only strips types.
    '^.+\\.tsx?$': 'ts-jest',
  },
  testTimeout: 120000,
  // Both cores of a small machine (jest's default keeps one free, which makes a 2-core run serial).
  maxWorkers: 2,
  // Kept with the project, not in the temp directory (which a run must leave as it found it).
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
  // One temp directory per run (nothing may be left in it), the real app synthesized once, a shared validation cache.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Each test file's own temp directory, removed after it.
  setupFilesAfterEnv: ['<rootDir>/test/support/per-file-tmp.ts'],
};
