import '../support/test-env';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { handler as externalHandler } from '../../lambda/external-secret-rotation';
import { handler as authHandler } from '../../lambda/auth-secret-rotation';
import { STAGED_LABEL } from '../../catalog/labels';
import { invoker } from '../support/events';
import { fakeExternal } from '../support/external-fakes';
import { FakeIssuers } from '../support/fake-issuers';
import { AwsError } from '../support/aws-json-server';
import { RotationHarness } from '../support/rotation-harness';
import { FakeSts } from '../support/fake-sts';
import { FakeIam } from '../support/fake-iam';
import { SECRETS } from '../../catalog/secrets';
import { buildTestCli, configFile, ROOT, runCli, waitFor, withEnv } from './cli-harness';

/**
 * The operator's paths through the built `fleapo-secrets` (child process, real stdin, AWS doubles over HTTP): one
 * error per cause with a hint, every AWS call bounded by --timeout, --json on every command, suggestions for typos,
 * Secrets Manager's retry of a failed finish step followed to the end, and the direct entry point npm never sees.
 */
const h = new RotationHarness(false);
const issuers = new FakeIssuers();
let cli: ReturnType<typeof buildTestCli>;
let counter = 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-cli-paths-'));

beforeAll(async () => {
  cli = buildTestCli();
  await Promise.all([h.start(), issuers.start()]);
  process.env.STRIPE_API_BASE = issuers.origin;
  process.env.POSTHOG_API_HOST = issuers.origin;
});
afterAll(async () => {
  await h.sm.rotationsSettled();
  await Promise.all([h.stop(), issuers.stop()]);
  cli.remove();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A fresh `staging` environment with AUTH_SECRET and STRIPE_SECRET_KEY (test mode); Secrets Manager retries as given. */
function environment(retries = { attempts: 0, delayMs: 0 }) {
  counter += 1;
  const prefix = `fleapo/paths${counter}`;
  const config = configFile(prefix, 'test');
  const auth = 'a'.repeat(64) + 'b'.repeat(64);
  const stripe = fakeExternal.stripeSecret('test');
  h.extraSecrets.push(auth, stripe);
  const arns = { auth: h.sm.createSecret(`${prefix}/auth-secret`, auth), stripe: h.sm.createSecret(`${prefix}/stripe-secret-key`, stripe) };
  h.sm.setRotationInvoker(arns.auth, invoker(authHandler), { retries });
  h.sm.setRotationInvoker(
    arns.stripe,
    withEnv({ EXTERNAL_SECRET_NAME: 'STRIPE_SECRET_KEY', STRIPE_MODE: 'test' }, invoker(externalHandler)),
    { retries },
  );
  const run = (args: string[], stdin = '', env: Record<string, string> = {}) =>
    runCli(h, cli.file, ['stage', 'rotate', 'roll-current'].includes(args[0]) ? [...args, '--poll-interval', '0.05'] : args, stdin, {
      FLEAPO_CONFIG_FILE: config,
      ...env,
    });
  const accepted = () => {
    const v = issuers.accepted('STRIPE_SECRET_KEY', 'test');
    h.extraSecrets.push(v);
    return v;
  };
  return { prefix, arns, run, accepted, config };
}

/** No credentials anywhere: no keys in the environment, no shared files, no instance metadata. */
const noCredentials = {
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
  HOME: tmp,
};

describe('one error per cause, on stderr, with a hint', () => {
  test('no credentials: status says it once (not once per secret), stdout stays empty, exit 3; --json puts it on stdout as JSON', async () => {
    const env = environment();
    const r = await env.run(['status', '--env', 'staging'], '', noCredentials).done;
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    // The configuration's one line (its source, accounts and regions), then the one error.
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.shift()).toMatch(/^fleapo-secrets: fleapo configuration: /);
    expect(lines[0]).toMatch(/^fleapo-secrets: no AWS credentials found \(CredentialsProviderError: .*\)\. Hint: sign in first/);
    expect(lines[0]).toContain('aws sso login');
    expect(lines[0]).toContain('--profile');
    expect(lines[0]).toContain('AWS_PROFILE');

    const json = await env.run(['status', '--env', 'staging', '--json'], '', noCredentials).done;
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      error: { cause: 'credentials', hint: expect.stringContaining('aws sso login') },
    });

    // The same for a command that would change something: nothing is staged or rotated, and it says so once.
    const rotate = await env.run(['rotate', 'AUTH_SECRET', '--env', 'staging'], '', noCredentials).done;
    expect(rotate.code).toBe(3);
    expect(rotate.stdout).toBe('');
    expect(rotate.stderr.match(/no AWS credentials found/g)).toHaveLength(1);
    expect(rotate.stderr).not.toMatch(/do NOT revoke|Rotation not complete/);
  });

  test('--profile that exists in neither shared file is named, with the profiles that do exist', async () => {
    const env = environment();
    const configPath = path.join(tmp, 'aws-config');
    fs.writeFileSync(configPath, '[profile ops-staging]\nregion = us-east-1\n[sso-session corp]\n');
    const r = await env.run(['status', '--env', 'staging', '--profile', 'nope'], '', { ...noCredentials, AWS_CONFIG_FILE: configPath })
      .done;
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n').slice(1).join('\n')).toBe(
      `fleapo-secrets: --profile nope: no such profile in ${configPath} or /dev/null (profiles there: ops-staging). Hint: \`aws configure sso\` creates one; \`aws configure list-profiles\` lists them\n`,
    );
  });
});

describe('every AWS call is bounded', () => {
  /** An endpoint that accepts connections and never answers. */
  let silent: net.Server;
  let silentUrl: string;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    silent = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  test.each([
    [['status', '--env', 'staging', '--timeout', '5'], 5],
    [['rotate', 'AUTH_SECRET', '--env', 'staging', '--timeout', '10'], 10],
  ])('%j against an endpoint that never answers ends within the bound, exit 4, with a clear message', async (args, seconds) => {
    const env = environment();
    const started = Date.now();
    const r = await env.run(args, '', { AWS_ENDPOINT_URL_SECRETS_MANAGER: silentUrl, AWS_ENDPOINT_URL_ECS: silentUrl }).done;
    const elapsed = Date.now() - started;
    expect(r.code).toBe(4);
    expect(elapsed).toBeGreaterThanOrEqual(seconds * 1000 - 500);
    expect(elapsed).toBeLessThan(seconds * 1000 + 5000); // the bound, plus the child's start-up on a busy machine
    expect(r.stderr).toContain(`fleapo-secrets: AWS did not answer within --timeout ${seconds} s. Hint: check the network`);
    expect(r.stderr.match(/did not answer/g)).toHaveLength(1);
    expect(r.stdout).toBe('');
    expect(sockets.size).toBeGreaterThan(0); // it did connect: the bound is on the answer, not the connection
  });
});

describe("Secrets Manager's retry of a failed finish step", () => {
  test('UpdateService fails once: reported as "retrying", followed until the retry completes it; exit 0 and only then revoke', async () => {
    const env = environment({ attempts: 3, delayMs: 1500 });
    const arn = env.arns.stripe;
    const value = env.accepted();
    const rolls = h.ecs.rollCount;
    h.ecs.updateServiceError = new AwsError('ThrottlingException', 'Rate exceeded');
    let run!: ReturnType<typeof env.run>;
    try {
      run = env.run(['stage', 'STRIPE_SECRET_KEY', '--env', 'staging', '--retry-wait', '30'], value);
      await waitFor('the refusal of the finish step', () => (h.sm.tags(arn)['fleapo:refusal'] ?? '').startsWith('finishSecret:'));
    } finally {
      h.ecs.updateServiceError = undefined; // the cause goes away: Secrets Manager's next attempt rolls the service
    }
    await waitFor('the retry to roll the service', () => h.ecs.rollCount === rolls + 1);
    await waitFor('the CLI to follow the rollout', () => run.output().includes('waiting for fleapo-api to run version'));
    expect(run.output()).not.toMatch(/do NOT revoke|roll-current|now revoke/);
    h.ecs.completeDeployment();
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stderr).toContain('retrying: attempt 1 of the finish step failed (finishSecret: Rate exceeded)');
    expect(stderr).toContain("completed by Secrets Manager's retry after 1 failed attempt(s)");
    expect(stderr).not.toContain('FAILED');
    expect(stdout).toMatch(/^Rollout complete: now revoke the old key in the Stripe Dashboard/);
    expect(h.sm.value(arn) === value).toBe(true);
    expect(Object.values(h.sm.stages(arn)).flat()).not.toContain(STAGED_LABEL);
  });
});

describe('a failure before AWSCURRENT moved', () => {
  test('Stripe answers 503 at testSecret: "retrying" (the function says a retry may mend it), followed until a retry completes the rotation', async () => {
    const env = environment({ attempts: 3, delayMs: 1500 });
    const arn = env.arns.stripe;
    const value = env.accepted();
    const before = h.sm.value(arn);
    const rolls = h.ecs.rollCount;
    issuers.stripeKeys.set(value, 'unavailable');
    let run!: ReturnType<typeof env.run>;
    try {
      run = env.run(['stage', 'STRIPE_SECRET_KEY', '--env', 'staging', '--retry-wait', '30'], value);
      await waitFor('the failed testSecret', () => (h.sm.tags(arn)['fleapo:refusal'] ?? '').startsWith('testSecret:'));
      expect(h.sm.tags(arn)['fleapo:refusal-final']).toBe('false');
      expect(h.sm.value(arn) === before).toBe(true); // AWSCURRENT has not moved
    } finally {
      issuers.stripeKeys.set(value, { livemode: false }); // Stripe is back: Secrets Manager's next attempt passes
    }
    await waitFor('the retry to roll the service', () => h.ecs.rollCount === rolls + 1);
    await waitFor('the CLI to follow the rollout', () => run.output().includes('waiting for fleapo-api to run version'));
    expect(run.output()).not.toMatch(/do NOT revoke|--abandon-incomplete|now revoke/);
    h.ecs.completeDeployment();
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stderr).toMatch(
      /retrying: attempt 1 failed at testSecret \(testSecret: Stripe at [^)]* answered \/v1\/balance with HTTP 503 api_error the check is retried with the rotation\); AWSCURRENT has not moved/,
    );
    expect(stderr).toContain("completed by Secrets Manager's retry after 1 failed attempt(s)");
    expect(stdout).toMatch(/^Rollout complete: now revoke the old key in the Stripe Dashboard/);
    expect(h.sm.value(arn) === value).toBe(true);
  });
});

describe("Secrets Manager's retries spent", () => {
  test('UpdateService keeps failing through every retry: each attempt reported, then final after --retry-wait, "do NOT revoke", roll-current', async () => {
    const env = environment({ attempts: 2, delayMs: 300 });
    const value = env.accepted();
    h.ecs.updateServiceError = new AwsError('AccessDeniedException', 'User is not authorized to perform: ecs:UpdateService');
    try {
      const { code, stdout, stderr } = await env.run(['stage', 'STRIPE_SECRET_KEY', '--env', 'staging', '--retry-wait', '2'], value).done;
      expect(code).toBe(1);
      for (const n of [1, 2, 3]) expect(stderr).toContain(`retrying: attempt ${n} of the finish step failed`);
      expect(stderr).not.toContain('retrying: attempt 4');
      expect(stderr).toContain('and Secrets Manager retried it without success for 2 s');
      expect(stderr).toContain('`fleapo-secrets roll-current STRIPE_SECRET_KEY --env staging`');
      expect(stdout).toContain('do NOT revoke the old key');
      expect((await h.sm.rotationsSettled()).filter((r) => !r.ok && r.step === 'finishSecret').length).toBeGreaterThan(0);
    } finally {
      h.ecs.updateServiceError = undefined;
    }
  });
});

describe('--json on every command, suggestions for typos', () => {
  test('rotate, roll-current, status and a refused stage print JSON only on stdout', async () => {
    const env = environment();
    const rolls = h.ecs.rollCount;
    const rotate = env.run(['rotate', 'AUTH_SECRET', '--env', 'staging', '--json']);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    await waitFor('the CLI to follow the rollout', () => rotate.output().includes('waiting for fleapo-api to run version'));
    h.ecs.completeDeployment();
    const rotated = await rotate.done;
    expect(rotated.code).toBe(0);
    const version = h.sm.versionIdOf(env.arns.auth, 'AWSCURRENT');
    expect(JSON.parse(rotated.stdout)).toEqual({
      ok: true,
      outcome: 'rolled-out',
      secret: 'AUTH_SECRET',
      secretId: `${env.prefix}/auth-secret`,
      environment: 'staging',
      versionId: version,
      deploymentId: h.ecs.primary.id,
      instruction: expect.stringMatching(/^Rollout complete: every task signs sessions/),
    });

    const again = await env.run(['roll-current', 'AUTH_SECRET', '--env', 'staging', '--json']).done;
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, outcome: 'rolled-out', versionId: version });

    const status = await env.run(['status', '--env', 'staging', '--json']).done;
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ environment: 'staging' });

    const wrong = fakeExternal.stripeSecret('live');
    h.extraSecrets.push(wrong);
    const refused = await env.run(['stage', 'STRIPE_SECRET_KEY', '--env', 'staging', '--json'], wrong).done;
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({
      ok: false,
      outcome: 'refused',
      step: 'check',
      reason: expect.stringContaining('is refused as stripe-secret-key (test mode)'),
    });
  });

  test('an --env and an option typo get a suggestion (only configured names and real options are shown)', async () => {
    const env = environment();
    const envTypo = await env.run(['status', '--env', 'stagign']).done;
    expect(envTypo.code).toBe(2);
    expect(envTypo.stderr).toContain('--env must be one of staging (the configured environments); did you mean staging?');
    const optionTypo = await env.run(['status', '--evn', 'staging']).done;
    expect(optionTypo.code).toBe(2);
    expect(optionTypo.stderr).toContain('unknown option --evn (did you mean --env?)');
    const commandTypo = await env.run(['stauts']).done;
    expect(commandTypo.stderr).toContain('(did you mean status?)');
  });
});

describe('the direct entry point', () => {
  const pasted = () => {
    const key = fakeExternal.stripeSecret('live');
    h.extraSecrets.push(key);
    return key;
  };
  /** Every file under `dir` whose text contains `needle`. */
  const filesContaining = (dir: string, needle: string): string[] =>
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir, { recursive: true, encoding: 'utf8' })
          .map((f) => path.join(dir, f))
          .filter((f) => fs.statSync(f).isFile() && fs.readFileSync(f, 'utf8').includes(needle))
      : [];
  const run = (command: string, args: string[], cache: string) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(command, args, {
        cwd: ROOT,
        env: { ...process.env, npm_config_cache: cache, npm_config_logs_dir: path.join(cache, '_logs'), npm_config_offline: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('close', (code) => {
        h.capture.add(output);
        resolve({ code, output });
      });
    });

  test('bin/fleapo-secrets (the documented way) leaves a key pasted as an argument in no npm log; npx does', async () => {
    const key = pasted();
    const direct = path.join(tmp, 'npm-direct');
    const r = await run(path.join(ROOT, 'bin', 'fleapo-secrets'), ['stage', 'STRIPE_SECRET_KEY', '--env', 'staging', key], direct);
    expect(r.code).toBe(2);
    expect(r.output).toContain('unexpected extra argument (not shown: it may be a pasted key)');
    expect(filesContaining(direct, key)).toEqual([]);
    expect(fs.existsSync(path.join(direct, '_logs'))).toBe(false); // npm never ran

    // What the docs warn about: through npx, npm keeps the command line in its debug log before the CLI refuses it.
    const viaNpm = path.join(tmp, 'npm-npx');
    const n = await run('npx', ['fleapo-secrets', 'stage', 'STRIPE_SECRET_KEY', '--env', 'staging', key], viaNpm);
    expect(n.code).toBe(2);
    expect(filesContaining(path.join(viaNpm, '_logs'), key).length).toBeGreaterThan(0);
  });
});

describe('doctor', () => {
  const sts = new FakeSts();
  const iam = new FakeIam();
  beforeAll(() => Promise.all([sts.start(), iam.start()]));
  afterAll(() => Promise.all([sts.stop(), iam.stop()]));

  test("the account, each secret's rotation function, the service's task definition: each finding with its fix", async () => {
    counter += 1;
    const prefix = `fleapo/doctor${counter}`;
    const config = configFile(prefix, 'test');
    for (const [name, { suffix }] of Object.entries(SECRETS)) {
      const value = `doctor-${name}-${counter}-${'v'.repeat(20)}`;
      h.extraSecrets.push(value);
      const arn = h.sm.createSecret(`${prefix}/${suffix}`, value);
      h.sm.setRotationInvoker(arn, async () => undefined, { functionName: `fleapo-staging-${suffix}-rotation` });
    }
    const doctor = (json = false) =>
      runCli(h, cli.file, ['doctor', '--env', 'staging', ...(json ? ['--json'] : [])], '', {
        FLEAPO_CONFIG_FILE: config,
        AWS_ENDPOINT_URL_STS: sts.endpoint,
        AWS_ENDPOINT_URL_IAM: iam.endpoint,
      }).done;
    const secrets = `arn:aws:secretsmanager:*:111111111111:secret:${prefix}/*`;
    const read = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:ListSecretVersionIds'], Resource: secrets },
        { Effect: 'Allow', Action: 'ecs:DescribeServices', Resource: h.ecs.serviceArn },
        { Effect: 'Allow', Action: ['ecs:ListTasks', 'ecs:DescribeTasks'], Resource: '*' },
      ],
    };
    const rotation = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'secretsmanager:RotateSecret',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
            'secretsmanager:TagResource',
          ],
          Resource: secrets,
        },
        { Effect: 'Allow', Action: 'ecs:UpdateService', Resource: h.ecs.serviceArn },
      ],
    };
    // What a leak needs on top (docs/when-a-secret-leaks.md): the retirement with its contain input, and CloudTrail.
    const retirement = 'arn:aws:lambda:*:111111111111:function:fleapo-staging-database-role-retirement';
    const leak = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: retirement },
        { Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' },
      ],
    };
    const roleArn = 'arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/fleapo-operator';
    iam.roles.set('fleapo-operator', { arn: roleArn, policies: [read] });
    iam.simulateDenied = true;

    // The service still runs another task definition family than the app's: FAIL, with the fix.
    const first = await doctor();
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/ok {4}credentials +arn:aws:sts::111111111111:assumed-role\/fleapo-operator\/ops in account 111111111111/);
    for (const suffix of Object.values(SECRETS).map((s) => s.suffix)) {
      expect(first.stdout).toContain(`${prefix}/${suffix}: rotation by fleapo-staging-${suffix}-rotation`);
    }
    expect(first.stdout).toMatch(/FAIL {2}service +fleapo-api runs task definition family fleapo-web, not fleapo-staging-fleapo-api/);
    expect(first.stdout).toContain('fix: deploy the staging stack');
    expect(first.stdout).toMatch(
      /skip {2}permissions +not simulated: AccessDenied: User is not authorized to perform: iam:SimulatePrincipalPolicy/,
    );
    expect(first.stdout).toContain('fix: allow the caller iam:GetRole on itself and iam:SimulatePrincipalPolicy');
    iam.simulateDenied = false;

    // Credentials of another account: FAIL, naming both accounts and what to do.
    sts.identity = { ...sts.identity, account: '222222222222', arn: 'arn:aws:sts::222222222222:assumed-role/dev/ops' };
    const wrongAccount = await doctor(true);
    sts.identity = { ...sts.identity, account: '111111111111', arn: 'arn:aws:sts::111111111111:assumed-role/fleapo-operator/ops' };
    expect(wrongAccount.code).toBe(1);
    const checks = (JSON.parse(wrongAccount.stdout) as { checks: { check: string; status: string; detail: string; fix?: string }[] })
      .checks;
    expect(checks.find((c) => c.check === 'credentials')).toMatchObject({
      status: 'fail',
      detail: 'arn:aws:sts::222222222222:assumed-role/dev/ops is in account 222222222222, but staging is in account 111111111111',
      fix: expect.stringContaining('--profile'),
    });

    // The app's task definition deployed; the caller may only read: status is covered, the rotation commands are not.
    const deploy = h.ecs.deployNewRevision('fleapo-staging-fleapo-api');
    h.ecs.completeDeployment(deploy.id);
    type Report = { checks: { check: string; status: string; detail: string; fix?: string }[] };
    const readOnly = await doctor(true);
    expect(readOnly.code).toBe(1);
    const of = (r: { stdout: string }, check: string) => (JSON.parse(r.stdout) as Report).checks.find((c) => c.check === check);
    expect(of(readOnly, 'service')).toMatchObject({ status: 'ok' });
    expect(of(readOnly, 'permissions: status')).toMatchObject({ status: 'ok', detail: `${roleArn} may make every call of status` });
    expect(of(readOnly, 'permissions: rotate')).toMatchObject({
      status: 'fail',
      detail: `${roleArn} may not call secretsmanager:RotateSecret on each secret`,
    });
    expect(of(readOnly, 'permissions: roll-current')!.detail).toContain(`ecs:UpdateService on ${h.ecs.serviceArn}`);
    expect(of(readOnly, 'secret values unreadable')).toMatchObject({ status: 'ok' });

    // The rotation policy too: the rotation commands pass; contain lacks only the retirement, audit CloudTrail.
    iam.roles.set('fleapo-operator', { arn: roleArn, policies: [read, rotation] });
    const rotator = await doctor(true);
    expect(rotator.code).toBe(1);
    expect(of(rotator, 'permissions: rotate')).toMatchObject({ status: 'ok' });
    expect(of(rotator, 'permissions: contain')).toMatchObject({
      status: 'fail',
      detail: `${roleArn} may not call lambda:InvokeFunction on arn:aws:lambda:us-east-1:111111111111:function:fleapo-staging-database-role-retirement`,
    });
    expect(of(rotator, 'permissions: audit')).toMatchObject({
      status: 'fail',
      detail: `${roleArn} may not call cloudtrail:LookupEvents on *`,
    });

    // And what a leak needs: every check passes. A policy that can read the values is flagged.
    iam.roles.set('fleapo-operator', { arn: roleArn, policies: [read, rotation, leak] });
    const ready = await doctor(true);
    expect(ready.code).toBe(0);
    const statuses = (JSON.parse(ready.stdout) as Report).checks.map((c) => [c.check, c.status]);
    expect(statuses.filter(([, st]) => st !== 'ok')).toEqual([]);
    const reader = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secrets }] };
    iam.roles.set('fleapo-operator', { arn: roleArn, policies: [read, rotation, leak, reader] });
    expect(of(await doctor(true), 'secret values unreadable')).toMatchObject({
      status: 'warn',
      detail: `${roleArn} may read the values of 5 secret(s) (GetSecretValue); no command needs it`,
    });
    expect(h.sm.server.callsOf('GetSecretValue').filter((c) => String(c.input.SecretId).startsWith(prefix))).toHaveLength(0);
  });
});

test('no secret value in any CLI output, argument list, log line or error message', () => {
  expect(h.extraSecrets.length).toBeGreaterThan(10);
  expect(h.leaks()).toEqual([]);
});
