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
};
