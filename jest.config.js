/**
 * ES-module-only packages (better-auth 1.7 and its dependencies) that jest's CommonJS runtime must see as CommonJS:
 * test/support/jest-esm-transform.cjs compiles them with esbuild.
 */
const ESM_ONLY = ['better-auth', '@better-auth', 'better-call', '@better-fetch', '@noble', 'nanostores', 'jose', 'rou3', 'defu', 'uncrypto', 'kysely', 'zod'];

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
};
