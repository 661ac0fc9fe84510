import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isForbiddenEnvFile, trackedEnvFiles } from '../../lib/guardrails/repository/env-files';

const ROOT = path.join(__dirname, '../..');

test.each(['.env', '.env.local', '.env.production', 'app/.env', 'deploy/prod.env'])('%s is forbidden', (f) =>
  expect(isForbiddenEnvFile(f)).toBe(true),
);
test.each(['.env.example', 'app/.env.example', 'env.ts', 'environment.json', '.envrc.md', 'lib/config/environment-config.ts'])(
  '%s is allowed',
  (f) => expect(isForbiddenEnvFile(f)).toBe(false),
);

describe('on a temporary git repository', () => {
  let dir: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'env-files-'));
    git('init', '-q');
    fs.writeFileSync(path.join(dir, '.env.example'), 'AUTH_SECRET=\n');
    fs.writeFileSync(path.join(dir, '.env'), 'AUTH_SECRET=local\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('quiet while .env is only on disk', () => {
    git('add', '.env.example');
    expect(trackedEnvFiles(dir)).toEqual([]);
  });

  test('fires when .env is tracked (even only staged), and the CLI exits 1 naming it', () => {
    git('add', '-f', '.env', '.env.example');
    expect(trackedEnvFiles(dir)).toEqual(['.env']);
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'lib/guardrails/repository/env-files.ts')], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('.env');
    expect(r.stderr).toContain('git rm --cached');
  });
});

test('this repository tracks no .env file', () => {
  expect(trackedEnvFiles(ROOT)).toEqual([]);
});

test('npm run check:env-files is wired', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.scripts['check:env-files']).toBe('tsx lib/guardrails/repository/env-files.ts');
});
