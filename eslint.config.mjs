// ESLint for a TypeScript CDK app: typescript-eslint's recommended rules; formatting is Prettier's
// (eslint-config-prettier turns off the rules it owns). `npm run lint` runs both; `npm test` runs it beside jest.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const node = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    '__dirname',
    'require',
    'module',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'URL',
    'fetch',
    'performance',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'dist/', 'packages/*/dist/', 'coverage/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // CommonJS files (jest's configuration and transform) load modules with require.
    files: ['**/*.cjs', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests walk synthesized CloudFormation templates and AWS API payloads: untyped JSON, read with `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  // The layers (docs/architecture.md): catalog/ imports nothing of the project; runtime/ (what handlers and the CLI
  // share) imports catalog/ only and no Powertools; lambda/ never imports lib/; lib/ never imports lambda/.
  ...[
    ['catalog/**/*.ts', '^\\.\\./', 'catalog/ is the floor: it imports nothing of the project'],
    [
      'runtime/**/*.ts',
      '(^|/)(lambda|lib)(/|$)|^@aws-lambda-powertools/',
      'runtime/ imports catalog/ only (no lambda/, lib/ or Powertools)',
    ],
    ['lambda/**/*.ts', '(^|/)lib(/|$)', 'lambda/ never imports lib/'],
    ['lib/**/*.ts', '(^|/)lambda(/|$)', 'lib/ never imports lambda/ (what the CLI shares with the handlers is in runtime/)'],
  ].map(([files, regex, message]) => ({
    files: [files],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex, message }] }] },
  })),
  prettier,
  {
    // After eslint-config-prettier, which turns max-len off: Prettier wraps code at 140, comments too must fit; long
    // messages and URLs may not be split.
    rules: {
      'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
);
