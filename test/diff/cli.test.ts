import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseDiffArgs } from '../../lib/diff/args';
import { REPORT_MARKER } from '../../lib/diff/report';
import { chooseBase, hasCdkApp } from '../../scripts/diff';
import { BASE, synthVariant } from './apps';

const ROOT = path.join(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts/diff.ts');

// node --import tsx: one process (the tsx CLI starts a second one).
const runDiff = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8' });

describe('parseDiffArgs', () => {
  test('flags and values', () => {
    expect(parseDiffArgs(['--base-dir', 'a', '--head-dir=b', '--out', 'r.md', '--fail-on-destructive-secret-change'])).toEqual({
      baseDir: 'a',
      headDir: 'b',
      out: 'r.md',
      failOnDestructiveSecretChange: true,
      help: false,
    });
    expect(parseDiffArgs(['--base', 'origin/main']).base).toBe('origin/main');
  });
  test('help', () => {
    expect(parseDiffArgs(['--help']).help).toBe(true);
  });
  test('errors', () => {
    expect(() => parseDiffArgs(['--base'])).toThrow('--base needs a value');
    expect(() => parseDiffArgs(['--max-chars', '10'])).toThrow('--max-chars needs an integer >= 1000');
    expect(() => parseDiffArgs(['stray'])).toThrow('unexpected extra argument');
    expect(() => parseDiffArgs(['--nope'])).toThrow('unknown option');
    expect(() => parseDiffArgs(['--base', 'x', '--base-dir', 'y'])).toThrow('not both');
  });
});

describe('two synthesized assemblies (what CI does)', () => {
  let work: string;
  let baseDir: string;
  let headDir: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-cli-'));
    baseDir = synthVariant(BASE);
    headDir = synthVariant({ ...BASE, secretName: 'fleapo/test/renamed' });
  });
  afterAll(() => [work, baseDir, headDir].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test('--out writes the report, exit 0 by default even with a replaced secret', () => {
    const out = path.join(work, 'report.md');
    const r = runDiff('--base-dir', baseDir, '--head-dir', headDir, '--out', out, '--base-label', 'main', '--head-label', 'pr');
    expect(r.status).toBe(0);
    const report = fs.readFileSync(out, 'utf8');
    expect(report).toContain('[!CAUTION]');
    expect(report).toContain('Base: `main` → head: `pr`');
  });

  test('--fail-on-destructive-secret-change exits 1 on a replaced secret, 0 when nothing destructive', () => {
    expect(runDiff('--base-dir', baseDir, '--head-dir', headDir, '--fail-on-destructive-secret-change').status).toBe(1);
    const r = runDiff('--base-dir', baseDir, '--head-dir', baseDir, '--fail-on-destructive-secret-change');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('No stack changes.');
  });

  test('a base dir with no assembly (base without an app): every stack added', () => {
    const empty = fs.mkdtempSync(path.join(work, 'empty-'));
    const r = runDiff('--base-dir', empty, '--head-dir', headDir);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('added: **Main**');
    expect(r.stdout).toContain('added: **Legacy**');
  });

  test('a --base-dir or --head-dir that does not exist is an error of one line naming it: exit 2, no report', () => {
    const missing = path.join(work, 'missing');
    for (const args of [
      ['--base-dir', missing, '--head-dir', headDir],
      ['--base-dir', baseDir, '--head-dir', missing],
    ]) {
      const r = runDiff(...args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^diff: --(base|head)-dir .*missing does not exist/)]);
    }
  });

  test('a --base that is not a revision is an error of one line naming it: exit 2, no report', () => {
    const r = runDiff('--base', 'no-such-branch-xyz', '--head-dir', headDir);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      'diff: --base "no-such-branch-xyz" is not a commit of this repository (git rev-parse finds no such revision)',
    ]);
  });

  test("`npm run diff > report.md` (and >>) leaves the report only in the file: npm's banner is cut, progress is on stderr", () => {
    const out = path.join(work, 'npm-report.md');
    const npm = (redirect: string) =>
      spawnSync('sh', ['-c', `npm run diff -- --base-dir "$B" --head-dir "$H" ${redirect} "$OUT"`], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, B: baseDir, H: headDir, OUT: out },
      });
    const r = npm('>');
    expect(r.status).toBe(0);
    const report = fs.readFileSync(out, 'utf8');
    expect(report.startsWith(REPORT_MARKER)).toBe(true);
    expect(report).not.toContain('> fleapo-secrets');
    expect(r.stderr).toContain('diff: comparing with the base assembly');
    // Appended to an existing file: what was there stays, the banner goes.
    fs.writeFileSync(out, 'before\n');
    expect(npm('>>').status).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe(`before\n${report}`);
  });

  test('--base <first commit of this repository> (no app yet) via a git worktree: every stack added, worktree cleaned up', () => {
    const first = execFileSync('git', ['rev-list', '--max-parents=0', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
    // Paths only: other checkouts of this repository may commit meanwhile.
    const worktrees = () =>
      execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: ROOT, encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.startsWith('worktree '))
        .sort();
    const before = worktrees();
    const r = runDiff('--base', first, '--head-dir', headDir);
    expect(r.stderr).toContain(`diff: comparing ${headDir} with base ${first} (${first.slice(0, 7)})`);
    expect(r.stderr).toContain('has no CDK app');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('added: **Main**');
    expect(worktrees()).toEqual(before);
  });

  test('bad usage exits 2 with the usage text', () => {
    const r = runDiff('--bogus');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Usage: npm run diff');
  });
});

test('hasCdkApp: this checkout has one; a cdk.json whose app file is missing is no app', () => {
  expect(hasCdkApp(ROOT)).toBe(true);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'noapp-'));
  expect(hasCdkApp(dir)).toBe(false);
  fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ app: 'npx tsx bin/app.ts' }));
  expect(hasCdkApp(dir)).toBe(false);
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'bin/app.ts'), '');
  expect(hasCdkApp(dir)).toBe(true);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('chooseBase (a real git repository)', () => {
  let repo: string;
  const g = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-base-'));
    g('init', '-q', '-b', 'main');
    g('config', 'user.email', 'test@example.com');
    g('config', 'user.name', 'test');
    fs.writeFileSync(path.join(repo, 'a.txt'), 'one');
    g('add', '.');
    g('commit', '-qm', 'one');
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  test('on main right after a commit, clean, nothing upstream: refused, naming HEAD', () => {
    const head = g('rev-parse', 'HEAD');
    expect(() => chooseBase(repo)).toThrow(
      `is HEAD itself (${head.slice(0, 7)}) and the working tree is clean: there is nothing to compare`,
    );
    expect(() => chooseBase(repo, 'HEAD')).toThrow('the base HEAD is HEAD');
    expect(chooseBase(repo, 'HEAD', false)).toEqual({ ref: 'HEAD', sha: head }); // the head is an assembly of its own
  });

  test('uncommitted changes: HEAD is the base', () => {
    fs.writeFileSync(path.join(repo, 'a.txt'), 'two');
    expect(chooseBase(repo)).toEqual({ ref: 'merge-base(HEAD, main)', sha: g('rev-parse', 'HEAD') });
    g('checkout', '-q', '--', 'a.txt');
  });

  test('main ahead of origin/main: where HEAD left origin/main; a branch: where it left main', () => {
    const first = g('rev-parse', 'HEAD');
    fs.writeFileSync(path.join(repo, 'b.txt'), 'b');
    g('add', '.');
    g('commit', '-qm', 'two');
    g('update-ref', 'refs/remotes/origin/main', first);
    expect(chooseBase(repo)).toEqual({ ref: 'merge-base(HEAD, origin/main)', sha: first });
    const onMain = g('rev-parse', 'HEAD');
    g('checkout', '-qb', 'feature');
    fs.writeFileSync(path.join(repo, 'c.txt'), 'c');
    g('add', '.');
    g('commit', '-qm', 'three');
    expect(chooseBase(repo)).toEqual({ ref: 'merge-base(HEAD, main)', sha: onMain });
  });
});
