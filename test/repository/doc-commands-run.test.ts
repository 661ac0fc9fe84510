import '../support/test-env';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { handler as authHandler } from '../../lambda/auth-secret-rotation';
import { handler as databaseHandler } from '../../lambda/database-url-rotation';
import { handler as externalHandler } from '../../lambda/external-secret-rotation';
import { handler as retirementHandler } from '../../lambda/database-role-retirement';
import { EXTERNAL_SECRET_NAMES, isExternalSecretName, SECRET_NAMES, SECRETS, type SecretName } from '../../catalog/secrets';
import { commandCalls } from '../../lib/cli/commands/doctor';
import { buildProgram } from '../../lib/cli/main';
import { parseSecretName } from '../../lib/cli/targets';
import { mergePatch } from '../../lib/config/json-merge-patch';
import { resourceNames, type NamedEnvironment } from '../../lib/config/resource-names';
import { DECLARED_SKIPS } from '../support/declared-skips';
import { invoker } from '../support/events';
import { FakeCloudTrail } from '../support/fake-cloudtrail';
import { FakeIam } from '../support/fake-iam';
import { FakeIssuers } from '../support/fake-issuers';
import { FakeLambda } from '../support/fake-lambda';
import { FakeSts } from '../support/fake-sts';
import { secretForms } from '../support/output-capture';
import { RotationHarness } from '../support/rotation-harness';
import { teamEnvironment } from '../support/team-config';
import { buildTestCli, oneAtATime, ROOT, runCli, withEnv } from '../cli/cli-harness';
import { documentationFiles, extractCommands, planCliRun, type CliRunPlan, type DocCommand, type PlaceholderValues } from './doc-commands';

/**
 * Every `fleapo-secrets` command line of the docs (README.md, docs/*.md) is RUN: the built CLI in a child process
 * against the AWS doubles (Secrets Manager running the real rotation handlers, ECS, Lambda running the real
 * retirement, STS, IAM, CloudTrail; the Stripe/PostHog stand-in; the real PostgreSQL), with a test configuration that
 * has the docs' two environments, `prod` (live Stripe mode) and `staging` (test mode). Each command gets a world of
 * its own (fresh secrets, in the state a first deploy leaves), its placeholders filled (PLACEHOLDERS), a new key on
 * stdin when it reads one (never as an argument), and must exit 0 (or the code its doc gives, EXPECTED_EXIT; never 2):
 * a renamed command or option, a missing argument or a stale example fails here as a usage error (exit 2) or a
 * failure, not for a reader.
 * doc-commands.test.ts checks the same lines statically (commands, options, links); this file runs them.
 */

/**
 * The docs' environments in the test configuration: the doubles' account, a region each (the ECS double has one
 * cluster, and two environments may not share a cluster in one account and region).
 */
const ACCOUNT = '111111111111';
const ENVIRONMENTS = {
  prod: { region: 'us-east-1', mode: 'live' },
  staging: { region: 'us-west-2', mode: 'test' },
} as const;
type EnvName = keyof typeof ENVIRONMENTS;

/** The CLI's commands and, for each, its options and whether each takes a value: from the program itself. */
const program = buildProgram({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }, () => undefined);
const optionsOf = (cmd: Command) => {
  const map = new Map<string, boolean>([
    ['-h', false],
    ['--help', false],
  ]);
  for (const o of cmd.options) for (const name of [o.short, o.long]) if (name) map.set(name, o.required || o.optional);
  return map;
};
const CLI = new Map(program.commands.filter((c) => c.name() !== 'help').map((c) => [c.name(), optionsOf(c)] as const));

/** What the docs' placeholders stand for here. */
const PLACEHOLDERS: PlaceholderValues = {
  options: {
    '--env': 'staging',
    '-e': 'staging',
    '--profile': 'docs-break-glass',
    '--since': '7d',
    '--timeout': '60',
    '--poll-interval': '0.05',
    '--retry-wait': '5',
    // replaced by the world's configuration file (runDocumented), as is any --config a doc names
    '--config': 'fleapo.json',
  },
  // `stage` takes an issuer's key; the recovery and rotation examples any of the five.
  secretOf: { stage: 'STRIPE_SECRET_KEY', rotate: 'AUTH_SECRET', 'roll-current': 'DATABASE_URL', contain: 'DATABASE_URL' },
  commands: [...CLI.keys()],
};

/**
 * Documented commands that are NOT run, each with why (also in test/support/declared-skips.ts, whose reporter fails
 * a run that skips anything else): a command the doubles cannot give what it needs. Empty today: every documented
 * command runs.
 */
const NOT_RUN: { command: string; reason: string }[] = [];

/** Documented commands whose doc says they exit with another code than 0 (operator-cli.md, "Exit codes"), and where. */
const EXPECTED_EXIT: Record<string, { code: number; why: string }> = {};

const DOCS = documentationFiles(ROOT);

interface Runnable extends CliRunPlan {
  /** The test's name: the command as run (test options added by `withTestOptions` are not in it). */
  readonly name: string;
  /** Where the docs write it. */
  readonly where: string[];
}

const planned = DOCS.flatMap((file) => extractCommands(fs.readFileSync(path.join(ROOT, file), 'utf8'), file, [...CLI.keys()])).map(
  (cmd: DocCommand) => ({ cmd, planning: planCliRun(cmd, CLI, PLACEHOLDERS) }),
);
const problems = planned.flatMap(({ planning }) => (planning.kind === 'problem' ? [planning.problem] : []));
const runnables: Runnable[] = [];
for (const { cmd, planning } of planned) {
  if (planning.kind !== 'run') continue;
  for (const plan of planning.plans) {
    const name = ['fleapo-secrets', ...plan.args].join(' ') + (plan.stdinFile ? ` < ${plan.stdinFile}` : '');
    const same = runnables.find((r) => r.name === name && JSON.stringify(r.env) === JSON.stringify(plan.env));
    if (same) same.where.push(cmd.where);
    else runnables.push({ ...plan, name, where: [cmd.where] });
  }
}

/** The value of an option in an argument list. */
const optionValue = (args: string[], ...names: string[]): string | undefined => {
  const i = args.findIndex((a) => names.includes(a));
  return i >= 0 ? args[i + 1] : undefined;
};
const commandOf = (args: string[]): string | undefined => args.find((a) => !a.startsWith('-'));
const envOf = (args: string[]): EnvName | undefined => optionValue(args, '--env', '-e') as EnvName | undefined;

/** `--poll-interval` and `--timeout` short where the command has them and the doc did not give them. */
function withTestOptions(args: string[]): string[] {
  const command = commandOf(args);
  const options = command === undefined ? undefined : CLI.get(command);
  if (options === undefined || args.includes('--help') || args.includes('-h')) return args;
  const extra: string[] = [];
  if (options.has('--poll-interval') && !args.includes('--poll-interval')) extra.push('--poll-interval', '0.05');
  if (options.has('--timeout') && !args.includes('--timeout')) extra.push('--timeout', '60');
  return [...args, ...extra];
}

// ---------------------------------------------------------------------------------------------------------------
// The doubles, shared by every command; each command gets a world of its own (its own secret prefixes).

const h = new RotationHarness();
/** The names the stack gives `env`'s functions and task family (of its configuration, only its name and service matter). */
const namesOf = (env: string) =>
  resourceNames({ name: env, service: { clusterName: h.ecs.clusterName, serviceName: h.ecs.serviceName } } as NamedEnvironment);
const issuers = new FakeIssuers();
const lambda = new FakeLambda();
const sts = new FakeSts();
const iam = new FakeIam();
const trail = new FakeCloudTrail(ACCOUNT, 'us-east-1');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-doc-run-'));
let cli: ReturnType<typeof buildTestCli>;
let worlds = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The profiles the docs name (`--profile fleapo-prod-rotate`), with test keys: the shared files of the reader's machine. */
function writeAwsFiles(): Record<string, string> {
  const profiles = [
    ...new Set(runnables.flatMap((r) => [optionValue(r.args, '--profile'), r.env.AWS_PROFILE].filter((p) => p !== undefined))),
  ];
  const config = path.join(tmp, 'aws-config');
  const credentials = path.join(tmp, 'aws-credentials');
  fs.writeFileSync(config, profiles.map((p) => `[profile ${p}]\nregion = us-east-1\n`).join('\n'));
  fs.writeFileSync(credentials, profiles.map((p) => `[${p}]\naws_access_key_id = test\naws_secret_access_key = test\n`).join('\n'));
  return { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials };
}
let awsFiles: Record<string, string> = {};

/** The operator's role in the IAM double: every call of every command (doctor simulates them), no GetSecretValue. */
const OPERATOR_ROLE = 'fleapo-operator';
function operatorPolicy(): unknown {
  const calls = commandCalls(
    { name: 'prod', region: 'us-east-1', account: ACCOUNT, service: { clusterName: 'fleapo', serviceName: 'fleapo-api' } } as never,
    { secrets: ['*'], service: '*' },
  );
  const actions = [...new Set(Object.values(calls).flatMap((c) => c.map((x) => x.action)))].sort();
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] };
}

beforeAll(async () => {
  cli = buildTestCli();
  await Promise.all([h.start(), issuers.start(), lambda.start(), sts.start(), iam.start(), trail.start()]);
  await h.createBaseRole();
  process.env.STRIPE_API_BASE = issuers.origin;
  process.env.POSTHOG_API_HOST = issuers.origin;
  awsFiles = writeAwsFiles();
}, 120_000);
afterAll(async () => {
  await h.sm.rotationsSettled();
  await Promise.all([h.stop(), issuers.stop(), lambda.stop(), sts.stop(), iam.stop(), trail.stop()]);
  cli?.remove();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A value of `name` the issuer stand-in accepts for an environment of `mode`. */
function newValue(name: SecretName, mode: 'live' | 'test'): string {
  const value = isExternalSecretName(name) ? issuers.accepted(name, mode) : randomBytes(64).toString('hex');
  h.extraSecrets.push(value);
  return value;
}

/**
 * A world for one command: both environments' five secrets (prefix `fleapo/docs<n>/<env>`) with their rotation
 * functions, the retirement function, and the configuration file naming them; the command's environment `target` in
 * the state a first deploy leaves (DATABASE_URL rotated once from its bootstrap value: the other environment's stays
 * a bootstrap value, since both log in as the same database role of the one test database).
 */
async function world(target: EnvName): Promise<string> {
  worlds += 1;
  const environments: Record<string, unknown> = {};
  for (const [env, { region, mode }] of Object.entries(ENVIRONMENTS)) {
    const prefix = `fleapo/docs${worlds}/${env}`;
    environments[env] = mergePatch(teamEnvironment(env, ACCOUNT, region), {
      secretPrefix: prefix,
      service: { clusterName: h.ecs.clusterName, serviceName: h.ecs.serviceName },
      externalServices: { stripeMode: mode },
    });
    const arns = {} as Record<SecretName, string>;
    for (const name of SECRET_NAMES) {
      const { suffix } = SECRETS[name];
      const value = name === 'DATABASE_URL' ? h.bootstrapJson() : newValue(name, mode);
      arns[name] = h.sm.createSecret(`${prefix}/${suffix}`, value);
      const handler =
        name === 'AUTH_SECRET'
          ? invoker(authHandler)
          : name === 'DATABASE_URL'
            ? invoker(databaseHandler)
            : oneAtATime(withEnv({ EXTERNAL_SECRET_NAME: name, STRIPE_MODE: mode }, invoker(externalHandler)));
      h.sm.setRotationInvoker(arns[name], handler, { functionName: namesOf(env).rotationFunction(name) });
    }
    lambda.functions.set(namesOf(env).retirementFunction, async (event) => {
      process.env.SECRET_ARN = arns.DATABASE_URL;
      return retirementHandler(event);
    });
    if (env !== target) continue;
    expect(await h.rotate(arns.DATABASE_URL, invoker(databaseHandler))).toMatchObject({ ok: true });
    h.ecs.completeDeployment();
  }
  const file = path.join(tmp, `fleapo-${worlds}.json`);
  fs.writeFileSync(file, JSON.stringify({ environments }));
  return file;
}

/** What the command reads on stdin: the new key `stage` stages, one line per issuer key `contain` replaces. */
function stdinFor(args: string[]): string {
  const command = commandOf(args);
  const mode = ENVIRONMENTS[envOf(args) ?? 'prod'].mode;
  const positional = args.filter((a, i) => !a.startsWith('-') && !(i > 0 && CLI.get(command ?? '')?.get(args[i - 1])));
  const named = positional.slice(1).map((a) => parseSecretName(a));
  if (command === 'stage' && named[0]) return `${newValue(named[0], mode)}\n`;
  if (command === 'contain') {
    const leaked = args.includes('--all') ? SECRET_NAMES : named;
    return EXTERNAL_SECRET_NAMES.filter((n) => leaked.includes(n))
      .map((n) => `${newValue(n, mode)}\n`)
      .join('');
  }
  return '';
}

/** Replaces every secret value the test knows with a marker, so that a failure's output can be shown. */
function redacted(text: string): string {
  let out = text;
  for (const form of secretForms([...h.sm.storedValues, ...h.extraSecrets])) out = out.split(form).join('<a secret value>');
  return out;
}

/**
 * Runs one documented command in a world of its own (its environment's world state, the operator's credentials and
 * default region, the service on the app's task definition family), completing each ECS deployment it starts.
 */
async function runDocumented(r: Runnable, options: { keyInArguments?: boolean } = {}) {
  const env = envOf(r.args) ?? 'prod';
  const config = await world(env);
  sts.identity = { ...sts.identity, account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${OPERATOR_ROLE}/ops` };
  iam.roles.set(OPERATOR_ROLE, { arn: `arn:aws:iam::${ACCOUNT}:role/${OPERATOR_ROLE}`, policies: [operatorPolicy()] });
  const family = namesOf(env).taskFamily;
  if (!h.ecs.taskDefinition.includes(`/${family}:`)) {
    h.ecs.deployNewRevision(family);
    h.ecs.completeDeployment();
  }
  const run = runCli(
    h,
    cli.file,
    withTestOptions(r.args.map((a, i) => (r.args[i - 1] === '--config' ? config : a))),
    stdinFor(r.args),
    {
      ...r.env,
      ...awsFiles,
      FLEAPO_CONFIG_FILE: config,
      AWS_REGION: ENVIRONMENTS[env].region,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      AWS_ENDPOINT_URL_STS: sts.endpoint,
      AWS_ENDPOINT_URL_IAM: iam.endpoint,
      AWS_ENDPOINT_URL_CLOUDTRAIL: trail.endpoint,
    },
    options,
  );
  let finished = false;
  void run.done.then(() => (finished = true));
  while (!finished) {
    if (h.ecs.primary.rolloutState === 'IN_PROGRESS') h.ecs.completeDeployment();
    await sleep(20);
  }
  const result = await run.done;
  await h.sm.rotationsSettled();
  return result;
}

describe('every documented fleapo-secrets command runs against the AWS doubles', () => {
  test('every placeholder of the docs has a test value', () => {
    expect(problems).toEqual([]);
  });

  test('the docs give a good number of commands to run, and every command of the CLI among them', () => {
    expect(runnables.length).toBeGreaterThan(20);
    // Each command of the CLI has an example beyond its --help (`<command> --help` alone would name them all).
    const run = new Set(runnables.filter((r) => !r.args.includes('--help')).map((r) => commandOf(r.args)));
    for (const command of CLI.keys()) expect([command, run.has(command)]).toEqual([command, true]);
    // Those with a new key on stdin are among them.
    expect(runnables.some((r) => commandOf(r.args) === 'stage')).toBe(true);
    expect(runnables.some((r) => r.stdinFile !== undefined)).toBe(true);
  });

  test('every command not run is declared, with its reason, in test/support/declared-skips.ts', () => {
    for (const { command, reason } of NOT_RUN) {
      expect(runnables.map((r) => r.name)).toContain(command);
      expect(DECLARED_SKIPS).toContainEqual({
        file: 'test/repository/doc-commands-run.test.ts',
        test: expect.stringContaining(command),
        reason,
      });
    }
  });

  // A command of NOT_RUN is a skipped test: the declared-skips reporter fails the run unless DECLARED_SKIPS has it.
  const notRun = new Set(NOT_RUN.map((n) => n.command));
  for (const r of runnables) {
    (notRun.has(r.name) ? test.skip : test)(
      r.name,
      async () => {
        const { code, stdout, stderr } = await runDocumented(r);
        const expected = EXPECTED_EXIT[r.name]?.code ?? 0;
        // On failure: where the docs write it, and what it said (secret values replaced).
        const outcome = {
          command: r.name,
          where: r.where,
          code,
          ...(code === expected ? {} : { stderr: redacted(stderr), stdout: redacted(stdout) }),
        };
        expect(outcome).toEqual({ command: r.name, where: r.where, code: expected });
        expect(code).not.toBe(2); // a usage error is never a documented outcome
      },
      90_000,
    );
  }

  test('a stale command in a doc fails: an option or a command the CLI no longer has, a key given as an argument', async () => {
    const plan = (text: string): Runnable => {
      const planning = planCliRun({ where: 'synthetic.md:1', text }, CLI, PLACEHOLDERS);
      if (planning.kind !== 'run') throw new Error(`not run: ${planning.kind}`);
      return { ...planning.plans[0], name: text, where: ['synthetic.md:1'] };
    };
    const stale = await runDocumented(plan('bin/fleapo-secrets status --env prod --verbose'));
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain('unknown option');
    expect((await runDocumented(plan('bin/fleapo-secrets revoke STRIPE_SECRET_KEY --env prod'))).code).toBe(2);
    expect((await runDocumented(plan('bin/fleapo-secrets rotate AUTH_SECRET --env <env> --sign-everyone-out'))).code).toBe(2);
    // `stage` with the key as an argument (the docs must never show that): refused as usage, the key never echoed.
    const key = newValue('STRIPE_SECRET_KEY', 'live');
    const pasted = await runDocumented(plan(`bin/fleapo-secrets stage STRIPE_SECRET_KEY --env prod ${key}`), { keyInArguments: true });
    expect(pasted.code).toBe(2);
    expect(pasted.stdout + pasted.stderr).not.toContain(key);
  }, 60_000);

  test('no secret value in any command line, output or error message', () => {
    expect(h.extraSecrets.length).toBeGreaterThan(20);
    expect(h.leaks()).toEqual([]);
  });
});
