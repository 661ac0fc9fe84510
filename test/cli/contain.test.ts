import '../support/test-env';
import { handler as authHandler } from '../../lambda/auth-secret-rotation';
import { handler as externalHandler } from '../../lambda/external-secret-rotation';
import { handler as databaseHandler } from '../../lambda/database-url-rotation';
import { handler as retirementHandler } from '../../lambda/database-role-retirement';
import { SIGN_OUT_WARNING } from '../../lib/cli/commands/contain-command';
import { TAG_CONTAIN_VERSION, TAG_REKEY_REQUESTED, TAG_ROLLOUT_DEPLOYMENT } from '../../catalog/tags';
import { invoker } from '../support/events';
import { fakeExternal } from '../support/external-fakes';
import { FakeIssuers } from '../support/fake-issuers';
import { FakeLambda } from '../support/fake-lambda';
import { urlLogsIn } from '../support/postgres-server';
import { RotationHarness } from '../support/rotation-harness';
import { buildTestCli, configFile, nameOf, oneAtATime, runCli, waitFor, withEnv } from './cli-harness';

/**
 * `fleapo-secrets contain` end to end: the built CLI in a child process against the Secrets Manager double (whose
 * RotateSecret runs the real rotation handlers in this process), the ECS double, the Lambda double (Invoke runs the
 * real retirement handler), the Stripe/PostHog stand-in and the real PostgreSQL.
 */
const h = new RotationHarness();
const issuers = new FakeIssuers();
const lambda = new FakeLambda();
let cli: ReturnType<typeof buildTestCli>;
let counter = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FOLLOWING = `waiting for ${h.ecs.serviceName} to run the new values everywhere`;
const RETIREMENT = 'fleapo-staging-database-role-retirement';

beforeAll(async () => {
  cli = buildTestCli();
  await Promise.all([h.start(), issuers.start(), lambda.start()]);
  await h.createBaseRole();
  process.env.STRIPE_API_BASE = issuers.origin;
  process.env.POSTHOG_API_HOST = issuers.origin;
});
afterAll(async () => {
  await h.sm.rotationsSettled();
  await Promise.all([h.stop(), issuers.stop(), lambda.stop()]);
  cli.remove();
});

type Kind = 'stripe-secret-key' | 'stripe-webhook-secret' | 'posthog-api-key';

/** A fresh environment: its five secrets with their rotation functions; DATABASE_URL on the real PostgreSQL. */
function environment() {
  counter += 1;
  const prefix = `fleapo/contain${counter}`;
  const config = configFile(prefix, 'test');
  const values: Record<string, string> = {
    'auth-secret': 'c'.repeat(64) + 'd'.repeat(64),
    'database-url': h.bootstrapJson(),
    'stripe-secret-key': fakeExternal.stripeSecret('test'),
    'stripe-webhook-secret': fakeExternal.webhookSecret(),
    'posthog-api-key': fakeExternal.posthogProject(),
  };
  h.extraSecrets.push(...Object.values(values));
  const arns: Record<string, string> = {};
  for (const [suffix, value] of Object.entries(values)) {
    arns[suffix] = h.sm.createSecret(`${prefix}/${suffix}`, value);
    if (suffix === 'auth-secret') h.sm.setRotationInvoker(arns[suffix], invoker(authHandler));
    else if (suffix === 'database-url') h.sm.setRotationInvoker(arns[suffix], invoker(databaseHandler));
    else
      h.sm.setRotationInvoker(
        arns[suffix],
        oneAtATime(withEnv({ EXTERNAL_SECRET_NAME: nameOf(suffix as Kind), STRIPE_MODE: 'test' }, invoker(externalHandler))),
      );
  }
  lambda.functions.set(RETIREMENT, withEnvResult({ SECRET_ARN: arns['database-url'] }, retirementHandler));
  const run = (args: string[], stdin = '') =>
    runCli(h, cli.file, [...args, '--poll-interval', '0.05'], stdin, {
      FLEAPO_CONFIG_FILE: config,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    });
  const accepted = (kind: Kind) => {
    const v = issuers.accepted(nameOf(kind), 'test');
    h.extraSecrets.push(v);
    return v;
  };
  return { prefix, arns, run, accepted };
}

function withEnvResult(vars: Record<string, string>, fn: (event: unknown) => Promise<unknown>) {
  return async (event: unknown) => {
    Object.assign(process.env, vars);
    return fn(event);
  };
}

type Ring = { current: string; next?: string; previous?: string };
const ofSecret = (op: string, secretId: string) => h.sm.server.callsOf(op).filter((c) => c.input.SecretId === secretId);

interface Report {
  environment: string;
  exitCode: number;
  secrets: {
    secret: string;
    state: string;
    containmentStarted?: string;
    leakedValueLastServed?: string;
    stoppedBeingAccepted?: string;
    terminatedSessions?: number;
    operatorMustStillDo: string[];
    failure?: string;
  }[];
}

test('--all: every secret replaced in parallel, ONE UpdateService, the leaked role retired with its open sessions ended, "revoke now" only once no task runs the old values; a second run continues and changes nothing', async () => {
  const env = environment();
  const [authArn, dbArn] = [env.arns['auth-secret'], env.arns['database-url']];
  // The state a leak finds: the key ring published its next key, DATABASE_URL logs in as the base role.
  expect(await h.rotate(authArn, invoker(authHandler))).toMatchObject({ ok: true });
  h.ecs.completeDeployment();
  expect(await h.rotate(dbArn, invoker(databaseHandler))).toMatchObject({ ok: true });
  h.ecs.completeDeployment();
  const leakedRing = JSON.parse(h.sm.value(authArn)!) as Ring;
  const leakedUrl = h.sm.value(dbArn)!;
  const attacker = await h.openSession(leakedUrl);
  attacker.on('error', () => undefined);

  const values = [env.accepted('stripe-secret-key'), env.accepted('stripe-webhook-secret'), env.accepted('posthog-api-key')];
  const rolls = h.ecs.rollCount;
  const updates = h.ecs.server.callsOf('UpdateService').length;
  const started = Date.now();
  const run = env.run(['contain', '--all', '--env', 'staging', '--sign-everyone-out'], `${values.join('\n')}\n`);
  await waitFor('the one roll', () => h.ecs.rollCount === rolls + 1);
  await waitFor('the CLI to follow the rollout', () => run.output().includes(FOLLOWING));
  await sleep(300);
  expect(run.output()).not.toContain('revoke the leaked key now');
  expect((await attacker.query('SELECT 1 AS one')).rows[0].one).toBe(1); // tasks from before may still use the old role
  h.ecs.completeDeployment();

  const { code, stdout, stderr } = await run.done;
  expect(code).toBe(0);
  expect(Date.now() - started).toBeLessThan(60_000);
  expect(h.ecs.rollCount).toBe(rolls + 1);
  expect(h.ecs.server.callsOf('UpdateService').length).toBe(updates + 1);
  for (const suffix of Object.keys(env.arns)) {
    expect(h.sm.tags(env.arns[suffix])[TAG_ROLLOUT_DEPLOYMENT]).toBe(h.ecs.primary.id);
    expect(h.sm.versionIdOf(env.arns[suffix], 'AWSCURRENT')).toBe(h.sm.tags(env.arns[suffix])[TAG_CONTAIN_VERSION]);
    expect(ofSecret('RotateSecret', `${env.prefix}/${suffix}`)).toHaveLength(1);
  }
  expect(stderr.indexOf(SIGN_OUT_WARNING)).toBeGreaterThanOrEqual(0);
  expect(stderr.indexOf(SIGN_OUT_WARNING)).toBeLessThan(stderr.indexOf('rotation started'));

  // AUTH_SECRET: a fresh ring, none of the leaked keys.
  const ring = JSON.parse(h.sm.value(authArn)!) as Ring;
  expect(ring.previous).toBeUndefined();
  const leakedKeys = [leakedRing.current, leakedRing.next, leakedRing.previous].filter(Boolean);
  expect([ring.current, ring.next].some((k) => leakedKeys.includes(k))).toBe(false);
  expect(h.sm.tags(authArn)[TAG_REKEY_REQUESTED]).toBeDefined();
  // DATABASE_URL: the leaked role cannot log in, its open session was ended; the new URL works.
  await expect(attacker.query('SELECT 1')).rejects.toThrow();
  expect(await urlLogsIn(leakedUrl)).toBe(false);
  expect(await urlLogsIn(h.sm.value(dbArn)!)).toBe(true);
  // The retirement is invoked before the rotation (nothing to retire) and after the rollout.
  expect(lambda.calls.filter((c) => c.input.FunctionName === RETIREMENT)).toHaveLength(2);
  // Issuer-created: the new values are current; "revoke now" with the issuer's page.
  expect(h.sm.value(env.arns['stripe-secret-key']) === values[0]).toBe(true);
  expect(stdout).toContain(
    'STRIPE_SECRET_KEY: no task runs the leaked value any more: revoke the leaked key now at https://dashboard.stripe.com/apikeys',
  );
  expect(stdout).toContain(
    'STRIPE_WEBHOOK_SECRET: no task runs the leaked value any more: revoke the leaked key now at https://dashboard.stripe.com/webhooks',
  );
  expect(stdout).toContain(
    'POSTHOG_API_KEY: no task runs the leaked value any more: revoke the leaked key now at https://us.posthog.com/settings/project',
  );
  // The report.
  const row = (name: string) => stdout.split('\n').find((l) => l.startsWith(`${name} `))!;
  expect(row('AUTH_SECRET')).toMatch(/^AUTH_SECRET\s+contained\s+\S+Z\s+\S+Z\s+\S+Z$/);
  expect(row('DATABASE_URL')).toMatch(/^DATABASE_URL\s+contained\s+\S+Z\s+\S+Z\s+\S+Z \(1 session\(s\) ended\)$/);
  expect(row('STRIPE_SECRET_KEY')).toMatch(/revoke-pending .* pending: until the leaked key is revoked at the issuer$/);
  expect(stdout).toContain('AUTH_SECRET: still to do: tell users they were signed out');

  // A second run: everything is recorded as contained: no rotation, no roll, nothing read from stdin.
  const again = await env.run(['contain', '--all', '--env', 'staging', '--sign-everyone-out', '--json']).done;
  expect(again.code).toBe(0);
  expect(h.ecs.rollCount).toBe(rolls + 1);
  for (const suffix of Object.keys(env.arns)) expect(ofSecret('RotateSecret', `${env.prefix}/${suffix}`)).toHaveLength(1);
  expect(again.stderr.match(/continuing the containment started at/g)).toHaveLength(5);
  const report = JSON.parse(again.stdout) as Report;
  expect(report.exitCode).toBe(0);
  expect(report.secrets.map((s) => [s.secret, s.state])).toEqual([
    ['AUTH_SECRET', 'contained'],
    ['DATABASE_URL', 'contained'],
    ['STRIPE_SECRET_KEY', 'revoke-pending'],
    ['STRIPE_WEBHOOK_SECRET', 'revoke-pending'],
    ['POSTHOG_API_KEY', 'revoke-pending'],
  ]);
  expect(report.secrets[1].stoppedBeingAccepted).toMatch(/^already-retired/);
  expect(again.stderr).toContain('revoke the leaked key now'); // on stderr with --json: stdout stays JSON
  expect(h.leaks()).toEqual([]);
});

test('AUTH_SECRET without --sign-everyone-out: a usage error before anything is written', async () => {
  const env = environment();
  const tags = h.sm.server.callsOf('TagResource').length;
  const { code, stderr } = await env.run(['contain', 'AUTH_SECRET', '--env', 'staging']).done;
  expect(code).toBe(2);
  expect(stderr).toContain('containing AUTH_SECRET signs every user out: add --sign-everyone-out');
  expect(h.sm.server.callsOf('TagResource').length).toBe(tags);
  const none = await env.run(['contain', '--env', 'staging']).done;
  expect(none.code).toBe(2);
  expect(none.stderr).toContain('name the leaked secret(s), or --all');
});

test('a refused value (or a missing line): nothing is staged or rotated for any secret of the run, exit 1', async () => {
  const env = environment();
  const wrong = fakeExternal.stripeSecret('live'); // a live key for a test-mode environment
  h.extraSecrets.push(wrong);
  const posthog = env.accepted('posthog-api-key');
  const puts = h.sm.server.callsOf('PutSecretValue').length;
  const rotations = h.sm.server.callsOf('RotateSecret').length;
  const refused = await env.run(['contain', 'posthog-api-key', 'STRIPE_SECRET_KEY', '--env', 'staging'], `${wrong}\n${posthog}\n`).done;
  expect(refused.code).toBe(1);
  expect(refused.stdout).toMatch(/STRIPE_SECRET_KEY: FAILED at step check: the value is refused as stripe-secret-key \(test mode\)/);
  expect(refused.stdout).toContain('POSTHOG_API_KEY: FAILED at step check: not started: another value given to this run was refused');
  const short = await env.run(['contain', 'posthog-api-key', 'STRIPE_SECRET_KEY', '--env', 'staging'], `${posthog}\n`).done;
  expect(short.code).toBe(1);
  expect(short.stdout).toContain(
    'stdin has 1 line(s), but 2 new value(s) are needed, one a line in this order: STRIPE_SECRET_KEY, POSTHOG_API_KEY',
  );
  expect(h.sm.server.callsOf('PutSecretValue').length).toBe(puts);
  expect(h.sm.server.callsOf('RotateSecret').length).toBe(rotations);
  expect(h.leaks()).toEqual([]);
});

test('interrupted (the rollout outlasted --timeout): the next run continues with the same rotation and the same deployment', async () => {
  const env = environment();
  const value = env.accepted('stripe-webhook-secret');
  const rolls = h.ecs.rollCount;
  const first = await env.run(
    // --timeout bounds the whole run (the rotations too): long enough for them, not for the rollout nobody completes.
    ['contain', 'AUTH_SECRET', 'STRIPE_WEBHOOK_SECRET', '--env', 'staging', '--sign-everyone-out', '--timeout', '3'],
    value,
  ).done;
  expect(first.code).toBe(1);
  expect(first.stdout).toMatch(/AUTH_SECRET: FAILED at step wait-for-rollout: not rolled out everywhere within 3 s/);
  expect(first.stdout).not.toContain('revoke the leaked key now');
  expect(h.ecs.rollCount).toBe(rolls + 1);
  const deployment = h.ecs.primary.id;

  const second = env.run(['contain', 'AUTH_SECRET', 'STRIPE_WEBHOOK_SECRET', '--env', 'staging', '--sign-everyone-out']);
  await waitFor('the second run to follow', () => second.output().includes(FOLLOWING));
  h.ecs.completeDeployment(deployment);
  const { code, stdout, stderr } = await second.done;
  expect(code).toBe(0);
  expect(stderr.match(/continuing the containment started at/g)).toHaveLength(2);
  expect(h.ecs.rollCount).toBe(rolls + 1);
  expect(ofSecret('RotateSecret', `${env.prefix}/auth-secret`)).toHaveLength(1);
  expect(ofSecret('RotateSecret', `${env.prefix}/stripe-webhook-secret`)).toHaveLength(1);
  expect(stdout).toContain('STRIPE_WEBHOOK_SECRET: no task runs the leaked value any more: revoke the leaked key now');

  // The operator revoked the key at Stripe and says so: recorded; every later run reports it contained.
  const confirmed = await env.run(['contain', 'STRIPE_WEBHOOK_SECRET', '--env', 'staging', '--revoked', '--json']).done;
  expect(confirmed.code).toBe(0);
  const hook = (JSON.parse(confirmed.stdout) as Report).secrets[0];
  expect(hook).toMatchObject({ secret: 'STRIPE_WEBHOOK_SECRET', state: 'contained', operatorMustStillDo: [] });
  expect(hook.stoppedBeingAccepted).toMatch(/Z \(revoke confirmed by the operator\)$/);
  expect(confirmed.stderr).not.toContain('revoke the leaked key now');
  const later = await env.run(['contain', 'STRIPE_WEBHOOK_SECRET', '--env', 'staging', '--json']).done;
  expect((JSON.parse(later.stdout) as Report).secrets[0].stoppedBeingAccepted).toBe(hook.stoppedBeingAccepted);
  expect(h.leaks()).toEqual([]);
});

test('a continued run trusts a recorded rollout only as far as AWS confirms it: a record with a forged earlier start is rolled again', async () => {
  const env = environment();
  const value = env.accepted('posthog-api-key');
  const arn = env.arns['posthog-api-key'];
  const rolls = h.ecs.rollCount;
  const first = await env.run(['contain', 'POSTHOG_API_KEY', '--env', 'staging', '--timeout', '3'], value).done;
  expect(first.code).toBe(1);
  expect(first.stdout).toMatch(/POSTHOG_API_KEY: FAILED at step wait-for-rollout: not rolled out everywhere within 3 s/);
  expect(h.ecs.rollCount).toBe(rolls + 1);
  const recordedDeployment = h.sm.tags(arn)[TAG_ROLLOUT_DEPLOYMENT];
  expect(recordedDeployment).toBe(h.ecs.primary.id);

  // Someone who may tag the secret writes an earlier start for the recorded (still running) deployment. Judged from the
  // record alone it would pass as "in progress"; AWS reports that deployment created at another time.
  const { SecretsManagerClient, TagResourceCommand } = await import('@aws-sdk/client-secrets-manager');
  const sm = new SecretsManagerClient({});
  await sm.send(
    new TagResourceCommand({
      SecretId: arn,
      Tags: [{ Key: 'fleapo:rollout-created-at', Value: new Date(Date.now() - 86_400_000).toISOString() }],
    }),
  );
  sm.destroy();

  const second = env.run(['contain', 'POSTHOG_API_KEY', '--env', 'staging']);
  await waitFor('the second roll', () => h.ecs.rollCount === rolls + 2);
  await waitFor('the second run to follow', () => second.output().includes(FOLLOWING));
  h.ecs.completeDeployment();
  const { code, stdout, stderr } = await second.done;
  expect(code).toBe(0);
  expect(stderr).toMatch(
    /POSTHOG_API_KEY: the recorded rollout of version \S+ is not-rolled: the rollout record does not fit what AWS reports/,
  );
  expect(h.sm.tags(arn)[TAG_ROLLOUT_DEPLOYMENT]).toBe(h.ecs.primary.id);
  expect(h.sm.tags(arn)[TAG_ROLLOUT_DEPLOYMENT]).not.toBe(recordedDeployment);
  expect(stdout).toContain('POSTHOG_API_KEY: no task runs the leaked value any more: revoke the leaked key now');
  expect(h.leaks()).toEqual([]);
});

test('a value the issuer rejects: the function refuses it, exit 1, "revoke now" never said; a second run with --abandon-incomplete starts over with a good value', async () => {
  const env = environment();
  const arn = env.arns['stripe-secret-key'];
  const current = h.sm.versionIdOf(arn, 'AWSCURRENT');
  const unknown = fakeExternal.stripeSecret('test'); // right form, but the stand-in answers 401
  h.extraSecrets.push(unknown);
  const first = await env.run(['contain', 'STRIPE_SECRET_KEY', '--env', 'staging'], unknown).done;
  expect(first.code).toBe(1);
  expect(first.stdout).toContain('STRIPE_SECRET_KEY: FAILED at step wait-for-rotation: the rotation function refused version');
  expect(first.stdout).not.toContain('revoke the leaked key now');
  expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(current);

  const good = env.accepted('stripe-secret-key');
  const rolls = h.ecs.rollCount;
  const second = env.run(['contain', 'STRIPE_SECRET_KEY', '--env', 'staging', '--abandon-incomplete', '--revoked'], good);
  await waitFor('the roll', () => h.ecs.rollCount === rolls + 1);
  h.ecs.completeDeployment();
  const { code, stdout, stderr } = await second.done;
  expect(code).toBe(0);
  expect(stderr).toContain('dropped AWSPENDING from the refused version');
  expect(stdout).toContain('STRIPE_SECRET_KEY: no task runs the leaked value any more: revoke the leaked key now');
  // --revoked on the run that started the containment is not recorded: nobody may revoke before "revoke now".
  expect(stderr).toContain('--revoked is not recorded: this run started the containment');
  expect(stdout).toMatch(/STRIPE_SECRET_KEY\s+revoke-pending/);
  expect(h.sm.value(arn) === good).toBe(true);
  expect(h.leaks()).toEqual([]);
});
