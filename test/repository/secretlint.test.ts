/**
 * secretlint (`npm run lint:secrets`) with this repository's configuration really catches keys,
 * and .env.example passes it. Fake keys are assembled at run time (never a literal in the source)
 * and the scanner's output is not printed: secretlint masks what it finds.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findSecretValue } from '../../lib/guardrails';
import { scanRepository, scanText } from '../../lib/guardrails/repository/scan-files';
import { FAKE } from '../guardrails/fakes';

const ROOT = path.join(__dirname, '../..');
const SECRETLINT = path.join(ROOT, 'node_modules/.bin/secretlint');

function secretlint(cwd: string, ...files: string[]): { status: number | null; out: string } {
  const r = spawnSync(SECRETLINT, ['--secretlintrc', path.join(ROOT, '.secretlintrc.json'), '--no-color', ...files], {
    cwd,
    encoding: 'utf8',
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secretlint-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the npm script scans the whole repository with the recommended preset', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.scripts['lint:secrets']).toBe('secretlint "**/*" && tsx lib/guardrails/repository/scan-files.ts');
  const rc = JSON.parse(fs.readFileSync(path.join(ROOT, '.secretlintrc.json'), 'utf8'));
  expect(rc.rules.map((r: { id: string }) => r.id)).toContain('@secretlint/secretlint-rule-preset-recommend');
  const ignore = fs.readFileSync(path.join(ROOT, '.secretlintignore'), 'utf8');
  expect(ignore).toMatch(/^node_modules\/$/m);
  expect(ignore).toMatch(/^cdk\.out\/$/m);
  // Test directories are NOT ignored: fixtures build their fake keys at run time instead.
  expect(ignore).not.toMatch(/^test/m);
});

// secretlint's recommended preset: connection strings, GitHub tokens, private keys, ...
test.each([
  ['a postgres URL with a password in source', 'db.ts', () => `export const url = '${FAKE.postgresUrl}';\n`],
  ['a GitHub token in a .env file', '.env', () => `GH_TOKEN=${FAKE.githubToken}\n`],
  ['a private key', 'deploy.pem', () => FAKE.privateKey],
])('secretlint fails on %s', (_label, file, content) => {
  fs.writeFileSync(path.join(dir, file), content());
  const r = secretlint(dir, file);
  expect(r.status).toBe(1);
  expect(r.out).toContain(file);
  // Masked: the key itself is not in the output.
  for (const v of Object.values(FAKE)) expect(r.out.includes(v)).toBe(false);
});

// ... and what it has no rule for (Stripe, PostHog, AWS key ids by default): scan-files.ts, same npm script.
describe('scan-files (second half of lint:secrets)', () => {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });

  test.each([
    ['stripeLive', 'stripe-secret-key'],
    ['stripeRestricted', 'stripe-restricted-key'],
    ['webhook', 'stripe-webhook-secret'],
    ['posthogPersonal', 'posthog-key'],
    ['awsKeyId', 'aws-access-key-id'],
  ] as const)('finds a %s in an untracked, not ignored file', (key, pattern) => {
    git('init', '-q');
    fs.writeFileSync(path.join(dir, 'settings.ts'), `export const k = '${FAKE[key]}';\n`);
    expect(scanRepository(dir)).toEqual([{ file: 'settings.ts', line: 1, pattern }]);
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'lib/guardrails/repository/scan-files.ts')], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(`${r.stdout}${r.stderr}`.includes(FAKE[key])).toBe(false);
  });

  test('honours secretlint-disable-line / -next-line like secretlint', () => {
    const v = FAKE.stripeLive;
    expect(scanText('a.ts', `x('${v}'); // secretlint-disable-line\n// secretlint-disable-next-line\ny('${v}');\nz('${v}');\n`)).toEqual([
      { file: 'a.ts', line: 4, pattern: 'stripe-secret-key' },
    ]);
  });

  test('skips gitignored files, passes placeholders', () => {
    git('init', '-q');
    fs.writeFileSync(path.join(dir, '.gitignore'), '.env\n');
    fs.writeFileSync(path.join(dir, '.env'), `STRIPE_SECRET_KEY=${FAKE.stripeLive}\n`);
    fs.writeFileSync(path.join(dir, '.env.example'), 'STRIPE_SECRET_KEY=sk_test_...\nDATABASE_URL=postgres://user:password@host:5432/db\n');
    expect(scanRepository(dir)).toEqual([]);
  });
});

test('secretlint passes a clean file', () => {
  fs.writeFileSync(path.join(dir, 'ok.ts'), "export const url = 'https://api.example.com';\n");
  expect(secretlint(dir, 'ok.ts').status).toBe(0);
});

describe('.env.example', () => {
  const text = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
  const vars = new Map(
    text
      .split('\n')
      .map((l) => l.replace(/^#\s*/, ''))
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => {
        const i = l.indexOf('=');
        return [l.slice(0, i), l.slice(i + 1)] as const;
      }),
  );

  test('lists every variable the app reads', () => {
    for (const name of [
      'AUTH_SECRET',
      'BETTER_AUTH_SECRET',
      'DATABASE_URL',
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
      'POSTHOG_API_KEY',
      'VITE_API_BASE_URL',
    ]) {
      expect(vars.has(name)).toBe(true);
    }
  });

  test('has only placeholders: the test-key forms, nothing scanners flag', () => {
    expect(vars.get('STRIPE_SECRET_KEY')).toBe('sk_test_...');
    expect(vars.get('STRIPE_WEBHOOK_SECRET')).toBe('whsec_...');
    for (const value of vars.values()) expect(findSecretValue(value)).toBeUndefined();
    expect(secretlint(ROOT, '.env.example').status).toBe(0);
  });

  test('no VITE_ variable in it is a secret', () => {
    for (const name of vars.keys()) {
      if (name.startsWith('VITE_')) expect(name).toBe('VITE_API_BASE_URL');
    }
  });
});
