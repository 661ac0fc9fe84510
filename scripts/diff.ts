/**
 * `npm run diff -- [--base <ref>] [--base-dir <cdk.out> --head-dir <cdk.out>] [--out report.md]`
 *
 * Offline CDK diff: synthesizes the base ref (in a temporary git worktree) and the working tree,
 * diffs every stack and writes a Markdown report. No AWS credentials: the app does no lookups.
 * The logic is in lib/diff (pure, tested); this file only runs git, npm and the cdk CLI.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffAssemblies, hasDestructiveSecretChange, readAssemblyTemplates, renderReport } from '../lib/diff';
import { parseDiffArgs, USAGE, UsageError, type DiffArgs } from '../lib/diff/args';

const log = (msg: string): void => {
  process.stderr.write(`diff: ${msg}\n`);
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function tryGit(cwd: string, ...args: string[]): string | undefined {
  try {
    return git(cwd, ...args);
  } catch {
    return undefined;
  }
}

/** The base or the head cannot be compared (no such revision or directory, or the base is the head): exit 2 with the reason. */
export class BaseError extends Error {}

/**
 * The base to compare the working tree with. `--base <ref>` as given; by default where this branch left `main` (then
 * `origin/main`). A base that is HEAD itself while the working tree is clean would compare a commit with itself and
 * report nothing (e.g. right after committing on main): then the upstream's merge-base is taken (`@{upstream}`), and
 * without one the run is refused. With uncommitted changes, HEAD is a fine base: they are the diff (and so is any
 * base when the head is an assembly of its own, `headIsWorkingTree` false).
 */
export function chooseBase(repo: string, requested?: string, headIsWorkingTree = true): { ref: string; sha: string } {
  const head = git(repo, 'rev-parse', 'HEAD');
  // Compared with an assembly given by --head-dir, HEAD is a base like any other.
  const clean = headIsWorkingTree ? git(repo, 'status', '--porcelain') === '' : false;
  const short = (sha: string) => sha.slice(0, 7);
  if (requested) {
    const sha = tryGit(repo, 'rev-parse', '--verify', '--quiet', `${requested}^{commit}`);
    if (!sha) throw new BaseError(`--base "${requested}" is not a commit of this repository (git rev-parse finds no such revision)`);
    if (sha === head && clean) {
      throw new BaseError(
        `the base ${requested} is HEAD (${short(head)}) and the working tree is clean: there is nothing to compare. ` +
          'Give the commit the change starts from, e.g. --base origin/main or --base HEAD~1',
      );
    }
    return { ref: requested, sha };
  }
  for (const main of ['main', 'origin/main']) {
    const sha = tryGit(repo, 'merge-base', 'HEAD', main);
    if (sha && (sha !== head || !clean)) return { ref: `merge-base(HEAD, ${main})`, sha };
  }
  const upstream = tryGit(repo, 'rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}');
  const upstreamBase = upstream ? tryGit(repo, 'merge-base', 'HEAD', upstream) : undefined;
  if (upstream && upstreamBase && upstreamBase !== head) return { ref: `merge-base(HEAD, ${upstream})`, sha: upstreamBase };
  if (!clean) return { ref: 'HEAD', sha: head };
  throw new BaseError(
    `the default base (where HEAD left main, origin/main or its upstream) is HEAD itself (${short(head)}) and the working tree is clean: ` +
      'there is nothing to compare. Give the commit the change starts from with --base <ref> (e.g. --base HEAD~1)',
  );
}

/**
 * Whether `dir` holds a CDK app: a cdk.json whose `app` command's file arguments exist
 * (this repository's first commit has a cdk.json pointing at a bin/app.ts that came later).
 */
export function hasCdkApp(dir: string): boolean {
  const cdkJson = path.join(dir, 'cdk.json');
  if (!fs.existsSync(cdkJson)) return false;
  let app: unknown;
  try {
    app = JSON.parse(fs.readFileSync(cdkJson, 'utf8')).app;
  } catch {
    return false;
  }
  if (typeof app !== 'string' || !app.trim()) return false;
  const files = app.split(/\s+/).filter((t) => /\.(?:[cm]?[jt]s|py)$/.test(t) || (t.includes('/') && !t.startsWith('-')));
  return files.every((f) => fs.existsSync(path.join(dir, f)));
}

/** `cdk synth` of the app in `appDir` into `outDir`, with no AWS access. Throws with the CLI's output on failure. */
export function synthApp(appDir: string, outDir: string): void {
  const cdk = path.join(appDir, 'node_modules', '.bin', 'cdk');
  if (!fs.existsSync(cdk)) throw new Error(`no cdk CLI in ${appDir}/node_modules (run npm ci)`);
  const r = spawnSync(cdk, ['synth', '--quiet', '--no-notices', '--no-version-reporting', '-o', outDir], {
    cwd: appDir,
    encoding: 'utf8',
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CI: process.env.CI ?? 'true' },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) {
    throw new Error(`cdk synth failed in ${appDir} (exit ${r.status}):\n${(r.stderr || '').slice(-8000)}`);
  }
}

/**
 * Checks out `sha` in a temporary worktree and synthesizes it. node_modules is this checkout's
 * (symlinked) when package-lock.json is the same, else `npm ci` runs there. Returns the assembly
 * directory, or undefined when the base has no app (every head stack is then "added").
 */
export function synthBase(repo: string, sha: string, workDir: string): string | undefined {
  const tree = path.join(workDir, 'base-src');
  git(repo, 'worktree', 'add', '--detach', '--force', tree, sha);
  try {
    if (!hasCdkApp(tree)) {
      log(`base ${sha.slice(0, 7)} has no CDK app: every stack is reported as added`);
      return undefined;
    }
    const lock = (dir: string): string | undefined => {
      const p = path.join(dir, 'package-lock.json');
      return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : undefined;
    };
    if (lock(tree) !== undefined && lock(tree) === lock(repo) && fs.existsSync(path.join(repo, 'node_modules'))) {
      fs.symlinkSync(path.join(repo, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
    } else {
      log('base package-lock.json differs: npm ci in the base worktree');
      execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: tree, stdio: ['ignore', 'inherit', 'inherit'] });
    }
    const out = path.join(workDir, 'base.out');
    log(`synthesizing base ${sha.slice(0, 7)}`);
    synthApp(tree, out);
    return out;
  } finally {
    tryGit(repo, 'worktree', 'remove', '--force', tree);
    tryGit(repo, 'worktree', 'prune');
  }
}

/**
 * An assembly directory given on the command line must exist: a typo would otherwise report every stack as added
 * (or fail later with a less clear message). A base without the app is an existing directory with no
 * `manifest.json` (e.g. an empty one), which is reported as such.
 */
export function checkAssemblyDirs(args: Pick<DiffArgs, 'baseDir' | 'headDir'>): void {
  for (const [flag, dir] of [
    ['--base-dir', args.baseDir],
    ['--head-dir', args.headDir],
  ] as const) {
    if (dir === undefined) continue;
    if (!fs.existsSync(dir)) throw new BaseError(`${flag} ${dir} does not exist (for a base without the app, give an empty directory)`);
    if (!fs.statSync(dir).isDirectory()) throw new BaseError(`${flag} ${dir} is not a directory`);
  }
}

/**
 * `npm run diff > report.md`: npm writes its banner (`> fleapo-secrets@x diff`, `> tsx scripts/diff.ts ...`) to
 * stdout before this script starts, into the report file. When stdout is a regular file that ends with exactly
 * that banner, the banner is cut off and the offset where the report must be written is returned (the report is then
 * written there, so the file holds the report only). Anything else (a terminal, a pipe, a file that does not end with
 * the banner, a run outside npm) is left alone: undefined.
 */
export function cutNpmBanner(env: NodeJS.ProcessEnv = process.env, fd = 1): number | undefined {
  if (!env.npm_lifecycle_event || !env.npm_lifecycle_script) return undefined;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size === 0 || stat.size > 1024 * 1024) return undefined;
    const text = fs.readFileSync(`/dev/fd/${fd}`, 'utf8');
    const id = env.npm_package_name && env.npm_package_version ? `${env.npm_package_name}@${env.npm_package_version} ` : '';
    const banner = `\n> ${id}${env.npm_lifecycle_event}\n> ${env.npm_lifecycle_script.trim().replace(/\n/g, '\n> ')}`;
    const start = text.lastIndexOf(banner);
    // The banner's last line ends with the arguments after `--`, then a blank line.
    if (start < 0 || !/^[^\n]*\n\n$/.test(text.slice(start + banner.length))) return undefined;
    const offset = Buffer.byteLength(text.slice(0, start));
    fs.ftruncateSync(fd, offset);
    return offset;
  } catch {
    return undefined;
  }
}

/** Writes the report to stdout: where npm's banner was, when it was cut (see {@link cutNpmBanner}). */
function writeReport(report: string): void {
  const offset = cutNpmBanner();
  if (offset === undefined) {
    process.stdout.write(report);
    return;
  }
  const data = Buffer.from(report);
  for (let done = 0; done < data.length;) done += fs.writeSync(1, data, done, data.length - done, offset + done);
}

export function run(args: DiffArgs, repo = process.cwd()): number {
  checkAssemblyDirs(args);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-diff-'));
  try {
    let baseDir = args.baseDir;
    let baseLabel = args.baseLabel ?? baseDir;
    if (!args.baseDir) {
      const base = chooseBase(repo, args.base, args.headDir === undefined);
      log(`comparing ${args.headDir ?? 'the working tree'} with base ${base.ref} (${base.sha.slice(0, 7)})`);
      baseLabel = args.baseLabel ?? `${base.ref} (${base.sha.slice(0, 7)})`;
      baseDir = synthBase(repo, base.sha, workDir);
    } else {
      log(`comparing with the base assembly ${args.baseDir}`);
    }
    if (args.baseDir && !fs.existsSync(path.join(args.baseDir, 'manifest.json'))) {
      log(`${args.baseDir} holds no cloud assembly: every stack is reported as added`);
    }
    let headDir = args.headDir;
    if (!headDir) {
      headDir = path.join(workDir, 'head.out');
      log('synthesizing the working tree');
      synthApp(repo, headDir);
    }
    const headLabel = args.headLabel ?? (args.headDir ? args.headDir : 'working tree');

    const diff = diffAssemblies(readAssemblyTemplates(baseDir), readAssemblyTemplates(headDir));
    const report = renderReport(diff, { baseLabel, headLabel, maxChars: args.maxChars });
    if (args.out) {
      fs.writeFileSync(args.out, report);
      log(`report written to ${args.out}`);
    } else {
      writeReport(report);
    }
    const changed = diff.stacks.filter((s) => s.status !== 'unchanged').length;
    log(`${diff.stacks.length} stack(s), ${changed} changed, ${diff.critical.length} secret/KMS key(s) replaced or destroyed`);
    if (args.failOnDestructiveSecretChange && hasDestructiveSecretChange(diff)) {
      log('FAIL: a secret or KMS key would be replaced or destroyed (--fail-on-destructive-secret-change)');
      return 1;
    }
    return 0;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

export function main(argv: readonly string[]): number {
  let args: DiffArgs;
  try {
    args = parseDiffArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    return run(args);
  } catch (e) {
    log(e instanceof Error ? e.message : String(e));
    return 2;
  }
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
