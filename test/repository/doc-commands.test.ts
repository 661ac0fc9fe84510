/**
 * Every command in the docs (README.md, docs/*.md) is a real one, and every link between them resolves: see
 * doc-commands.ts for what is extracted. The CLI's commands and options come from the built `fleapo-secrets`'s own
 * `--help` (built as `npm run build:cli` builds it), so a renamed command or option fails here, not for a reader.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SECRETS, SECRET_NAMES } from '../../catalog/secrets';
import { EXAMPLE_CONFIG } from '../../lib/config/example-config';
import { BOOTSTRAP_TEMPLATE_FILE } from '../../scripts/bootstrap-template';
import { KNOWN_CONTEXT_KEYS, KNOWN_VARIABLES } from '../../lib/config/config-sources';
import { buildTestCli, ROOT } from '../cli/cli-harness';
import {
  documentationFiles,
  commandProblems,
  extractCommands,
  headingSlug,
  helpCommands,
  helpOptions,
  linkProblems,
  planCliRun,
  repositoryReader,
  shellWords,
  type DocCommand,
  type Known,
} from './doc-commands';

const DOCS = documentationFiles(ROOT);
const read = repositoryReader(ROOT);

let known: Known;
let cli: { file: string; remove: () => void };

beforeAll(() => {
  cli = buildTestCli();
  const help = (...args: string[]) => execFileSync(process.execPath, [cli.file, ...args], { cwd: ROOT, encoding: 'utf8' });
  const top = help('--help');
  const commands = new Map(helpCommands(top).map((c) => [c, helpOptions(help(c, '--help'))] as const));
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
  known = {
    scripts: new Set(Object.keys(scripts)),
    cli: commands,
    cliGlobal: helpOptions(top),
    secretNames: new Set([...SECRET_NAMES, ...SECRET_NAMES.map((n) => SECRETS[n].suffix)]),
    contextKeys: new Set(Object.keys(KNOWN_CONTEXT_KEYS)),
    variables: new Set(Object.keys(KNOWN_VARIABLES)),
  };
}, 60_000);

afterAll(() => cli?.remove());

const commandsOf = (file: string): DocCommand[] => extractCommands(read(file)!, file, [...known.cli.keys()]);

describe('the docs name only real commands', () => {
  test('the CLI help lists the commands the docs rely on', () => {
    expect([...known.cli.keys()].sort()).toEqual(
      expect.arrayContaining(['audit', 'contain', 'doctor', 'roll-current', 'rotate', 'stage', 'status']),
    );
    expect(known.cli.get('stage')?.get('--env')).toBe(true);
    expect(known.cli.get('status')?.get('--json')).toBe(false);
  });

  test.each(DOCS)('%s: every command is a real script, CLI command and option, context key and variable', (file) => {
    const problems = commandsOf(file).flatMap((c) => commandProblems(c, known));
    expect(problems).toEqual([]);
  });

  test('the README starts with the quick start: npm ci && npm run synth, then npm test', () => {
    const first = commandsOf('README.md').filter((c) => !c.text.startsWith('git '));
    expect(first.slice(0, 3).map((c) => c.text)).toEqual(['npm ci', 'npm run synth', 'npm test']);
  });

  test("each environment's bootstrap command gives what the isolation tests evaluate (test/infra/deploy-isolation)", () => {
    const bootstraps = DOCS.flatMap(commandsOf)
      .map((c) => shellWords(c.text))
      .filter((w) => w.slice(0, 3).join(' ') === 'npx cdk bootstrap' && w.includes('--template'));
    const option = (w: string[], name: string) => w[w.indexOf(name) + 1];
    const byEnvironment = new Map<string, string[]>();
    for (const w of bootstraps) {
      const env = /policy\/fleapo-([a-z]+)-cfn-execution$/.exec(option(w, '--cloudformation-execution-policies'))?.[1] ?? '?';
      byEnvironment.set(env, w);
      expect({ env, template: option(w, '--template') }).toEqual({ env, template: BOOTSTRAP_TEMPLATE_FILE });
      expect(w[3]).toBe('aws://ACCOUNT/REGION');
      expect(option(w, '--cloudformation-execution-policies')).toBe(`arn:aws:iam::ACCOUNT:policy/fleapo-${env}-cfn-execution`);
      expect(option(w, '--custom-permissions-boundary')).toBe(`fleapo-${env}-boundary`);
      expect(w).toContain('--apply-permissions-boundary-to-all-roles');
      expect(w).not.toContain('--trust');
    }
    expect([...byEnvironment.keys()].sort()).toEqual(Object.keys(EXAMPLE_CONFIG.environments).sort());
    for (const [env, w] of byEnvironment) {
      const qualifier = EXAMPLE_CONFIG.environments[env as keyof typeof EXAMPLE_CONFIG.environments].cdkBootstrapQualifier;
      expect({ env, qualifier: option(w, '--qualifier'), stack: option(w, '--toolkit-stack-name') }).toEqual({
        env,
        qualifier,
        stack: `CDKToolkit-${qualifier}`,
      });
    }
  });

  test('the docs together check a good number of commands of each kind (the extraction finds them)', () => {
    const all = DOCS.flatMap(commandsOf).map((c) => c.text);
    expect(all.filter((c) => c.startsWith('npm run ')).length).toBeGreaterThan(10);
    expect(all.filter((c) => /^(bin\/)?fleapo-secrets /.test(c)).length).toBeGreaterThan(20);
    expect(all.filter((c) => /^(npx )?cdk /.test(c)).length).toBeGreaterThan(5);
    expect(all.some((c) => c.includes('-c fleapo:configFile='))).toBe(true);
    expect(all.some((c) => c.startsWith('FLEAPO_CONFIG_FILE='))).toBe(true);
  });
});

describe('every link between the docs resolves', () => {
  test.each(DOCS)('%s: relative links name an existing file and heading', (file) => {
    expect(linkProblems(read(file)!, file, read)).toEqual([]);
  });

  test("heading anchors are GitHub's", () => {
    expect(headingSlug('Operator command: `fleapo-secrets`')).toBe('operator-command-fleapo-secrets');
    expect(headingSlug('CI (GitHub Actions, `.github/workflows/`)')).toBe('ci-github-actions-githubworkflows');
    expect(headingSlug('STRIPE_SECRET_KEY, POSTHOG_API_KEY (runbook steps 1 to 4)')).toBe(
      'stripe_secret_key-posthog_api_key-runbook-steps-1-to-4',
    );
  });
});

describe('the checks fail on made-up commands, options and links', () => {
  const problemsOf = (markdown: string) =>
    extractCommands(markdown, 'synthetic.md', [...known.cli.keys()]).flatMap((c) => commandProblems(c, known));

  test('a script that package.json does not have', () => {
    expect(problemsOf('Run `npm run synthesize` first.')).toEqual([expect.stringContaining('no package.json script "synthesize"')]);
    expect(problemsOf('```sh\nnpm ci && npm run no-such-script   # a comment\n```')).toEqual([
      expect.stringContaining('no package.json script "no-such-script"'),
    ]);
  });

  test('a CLI command that does not exist, an option its help does not list, a secret the catalog does not have', () => {
    expect(problemsOf('```sh\nbin/fleapo-secrets revoke STRIPE_SECRET_KEY --env prod\n```')).toEqual([
      expect.stringContaining('no fleapo-secrets command "revoke"'),
    ]);
    expect(problemsOf('Use `bin/fleapo-secrets status --env prod --verbose`.')).toEqual([
      expect.stringContaining('"--verbose" is not an option of fleapo-secrets status'),
    ]);
    // --sign-everyone-out belongs to contain, not to rotate
    expect(problemsOf('```bash\n$ bin/fleapo-secrets rotate AUTH_SECRET \\\n    --env prod --sign-everyone-out\n```')).toEqual([
      expect.stringContaining('"--sign-everyone-out" is not an option of fleapo-secrets rotate'),
    ]);
    expect(problemsOf('`bin/fleapo-secrets stage STRIPE_KEY --env prod`')).toEqual([
      expect.stringContaining('"STRIPE_KEY" is not a secret'),
    ]);
    expect(problemsOf('`pbpaste | bin/fleapo-secrets stage posthog-api-key --env staging --json`')).toEqual([]);
    expect(problemsOf('`bin/fleapo-secrets contain --all --env prod < keys.txt` and `npm run diff > report.md`')).toEqual([]);
    expect(problemsOf('`bin/fleapo-secrets contain --all --env prod --al < keys.txt`')).toEqual([
      expect.stringContaining('"--al" is not an option'),
    ]);
  });

  test('a usage form without the program name is checked too', () => {
    expect(problemsOf('**`status [--env <env>] [--json]`** and **`stage <secret> --env <env>`**')).toEqual([]);
    expect(problemsOf('**`status [--env <env>] [--yaml]`**')).toEqual([
      expect.stringContaining('"--yaml" is not an option of fleapo-secrets status'),
    ]);
  });

  test('an unknown context key or FLEAPO_ variable', () => {
    expect(problemsOf('```sh\nnpx cdk synth -c fleapo:configfile=x.json\n```')).toEqual([
      expect.stringContaining('unknown context key fleapo:configfile'),
    ]);
    expect(problemsOf('`FLEAPO_CONFIG=x.json npm run synth`')).toEqual([expect.stringContaining('unknown variable FLEAPO_CONFIG')]);
    expect(problemsOf('`npx cdk synthesize`')).toEqual([expect.stringContaining('"synthesize" is not a cdk command')]);
    expect(problemsOf('`npx cdk synth -c fleapo:configFile=x.json` and `FLEAPO_CONFIG_FILE=x.json npm run synth`')).toEqual([]);
  });

  test('text that is not a checked command is left alone (cdk.json, prose, other tools)', () => {
    expect(problemsOf('`cdk.json` and `npm install ./x.tgz` and `git rm --cached .env`')).toEqual([]);
  });

  test('a link to a missing file or a missing heading', () => {
    const files: Record<string, string> = { 'docs/a.md': '# A\n\n## Some heading\n', 'README.md': '# R\n' };
    const readFake = (f: string) => files[f];
    expect(linkProblems('[ok](a.md#some-heading) [top](../README.md) [web](https://example.com)', 'docs/b.md', readFake)).toEqual([]);
    expect(linkProblems('[gone](missing.md)', 'docs/b.md', readFake)).toEqual([expect.stringContaining('no file docs/missing.md')]);
    expect(linkProblems('[gone](a.md#no-such-heading)', 'docs/b.md', readFake)).toEqual([
      expect.stringContaining('no heading #no-such-heading in docs/a.md'),
    ]);
    expect(linkProblems('[here](#nothing)', 'docs/a.md', readFake)).toEqual([expect.stringContaining('no heading #nothing')]);
    // a link inside code is not a link
    expect(linkProblems('`[x](missing.md)`\n```md\n[y](missing.md)\n```', 'docs/b.md', readFake)).toEqual([]);
  });
});

describe('how a documented fleapo-secrets line is run (doc-commands-run.test.ts)', () => {
  const values = {
    options: { '--env': 'staging', '--profile': 'test-profile' },
    secretOf: { 'roll-current': 'DATABASE_URL' },
    commands: ['status', 'doctor'],
  };
  const plan = (text: string) => planCliRun({ where: 'synthetic.md:1', text }, known.cli, values);

  test('placeholders filled, optional parts taken, a redirected stdin noted, assignments kept', () => {
    expect(plan('bin/fleapo-secrets roll-current <SECRET> --env <env>')).toEqual({
      kind: 'run',
      plans: [{ args: ['roll-current', 'DATABASE_URL', '--env', 'staging'], env: {} }],
    });
    expect(plan('fleapo-secrets status [--env <env>] [--json]')).toEqual({
      kind: 'run',
      plans: [{ args: ['status', '--env', 'staging', '--json'], env: {} }],
    });
    expect(plan('AWS_PROFILE=x bin/fleapo-secrets contain --all --env prod --sign-everyone-out < new-keys.txt')).toEqual({
      kind: 'run',
      plans: [{ args: ['contain', '--all', '--env', 'prod', '--sign-everyone-out'], env: { AWS_PROFILE: 'x' }, stdinFile: 'new-keys.txt' }],
    });
    expect(plan('bin/fleapo-secrets roll-current DATABASE_URL --env prod --profile <break-glass-profile>')).toMatchObject({
      plans: [{ args: ['roll-current', 'DATABASE_URL', '--env', 'prod', '--profile', 'test-profile'] }],
    });
    expect(plan('bin/fleapo-secrets <command> --help')).toEqual({
      kind: 'run',
      plans: [
        { args: ['status', '--help'], env: {} },
        { args: ['doctor', '--help'], env: {} },
      ],
    });
  });

  test('a mention is not run; a placeholder without a test value is a problem; other programs are left alone', () => {
    for (const mention of ['bin/fleapo-secrets', 'fleapo-secrets stage', 'bin/fleapo-secrets ...'])
      expect(plan(mention)).toEqual({ kind: 'mention' });
    expect(plan('bin/fleapo-secrets stage <secret> --env prod')).toEqual({
      kind: 'problem',
      problem: expect.stringContaining('no test value for the placeholder <secret> (argument 1 of stage)'),
    });
    expect(plan('bin/fleapo-secrets audit --env prod --since <when>')).toEqual({
      kind: 'problem',
      problem: expect.stringContaining('no test value for the placeholder <when> of --since'),
    });
    expect(plan('npm run synth')).toEqual({ kind: 'other' });
  });
});
