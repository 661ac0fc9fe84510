import '../support/test-env';
import { execFileSync, spawn } from 'node:child_process';
import { handler as externalHandler } from '../../lambda/external-secret-rotation';
import { handler as authHandler } from '../../lambda/auth-secret-rotation';
import { STAGED_LABEL } from '../../catalog/labels';
import { TAG_REFUSAL, TAG_REFUSAL_FINAL, TAG_REFUSED_VERSION } from '../../catalog/tags';
import { invoker } from '../support/events';
import { fakeExternal } from '../support/external-fakes';
import { FakeIssuers } from '../support/fake-issuers';
import { AwsError } from '../support/aws-json-server';
import { RotationHarness } from '../support/rotation-harness';
import { buildTestCli, configFile, nameOf, ROOT, runCli, waitFor, withEnv } from './cli-harness';

/**
 * `fleapo-secrets` end to end: the built CLI (esbuild bundle, as package.json's bin) in a child process with real
 * stdin, against the Secrets Manager double (whose RotateSecret runs the real rotation handlers in the background, in
 * this process, like AWS invoking the function asynchronously), the ECS double and the local Stripe/PostHog stand-in.
 * Region, secret names, cluster and service come from a configuration file (FLEAPO_CONFIG_FILE) as in real use.
 */
const h = new RotationHarness(false);
const issuers = new FakeIssuers();
let cli: ReturnType<typeof buildTestCli>;
/** What the CLI prints when it starts following the rollout. */
const FOLLOWING = `waiting for ${h.ecs.serviceName} to run version`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;

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
});

type Kind = 'stripe-secret-key' | 'posthog-api-key' | 'stripe-webhook-secret';

/** A fresh environment (its own secret prefix) whose five secrets exist with rotation functions. */
function environment(mode: 'live' | 'test' = 'test') {
  counter += 1;
  const prefix = `fleapo/cli${counter}`;
  const config = configFile(prefix, mode);
  const values: Record<string, string> = {
    'auth-secret': 'a'.repeat(64) + 'b'.repeat(64),
    'database-url': JSON.stringify({
      username: 'app',
      password: 'bootstrap-password-' + counter,
      host: '127.0.0.1',
      port: 5432,
      dbname: 'fleapo',
    }),
    'stripe-secret-key': fakeExternal.stripeSecret(mode),
    'stripe-webhook-secret': fakeExternal.webhookSecret(),
    'posthog-api-key': fakeExternal.posthogProject(),
  };
  h.extraSecrets.push(...Object.values(values));
  const arns: Record<string, string> = {};
  for (const [suffix, value] of Object.entries(values)) {
    arns[suffix] = h.sm.createSecret(`${prefix}/${suffix}`, value);
    if (suffix === 'auth-secret') h.sm.setRotationInvoker(arns[suffix], invoker(authHandler));
    else if (suffix !== 'database-url') {
      h.sm.setRotationInvoker(
        arns[suffix],
        withEnv({ EXTERNAL_SECRET_NAME: nameOf(suffix as Kind), STRIPE_MODE: mode }, invoker(externalHandler)),
      );
    }
  }
  const run = (args: string[], stdin = '', options: { keyInArguments?: boolean } = {}) =>
    runCli(
      h,
      cli.file,
      ['stage', 'rotate', 'roll-current'].includes(args[0]) ? [...args, '--poll-interval', '0.05'] : args,
      stdin,
      { FLEAPO_CONFIG_FILE: config },
      options,
    );
  /** A new value of `kind` the issuer stand-in accepts. */
  const accepted = (kind: Kind) => {
    const v = issuers.accepted(nameOf(kind), mode);
    h.extraSecrets.push(v);
    return v;
  };
  return { prefix, arns, run, accepted, config };
}

describe('stage', () => {
  test('stages, rotates, follows the rotation and the rollout, and only then says to revoke the old key', async () => {
    const env = environment('live');
    const arn = env.arns['stripe-secret-key'];
    const oldVersion = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
    const value = env.accepted('stripe-secret-key');
    const rolls = h.ecs.rollCount;
    const run = env.run(['stage', 'STRIPE_SECRET_KEY', '--env', 'staging'], `${value}\n`);
    expect(run.argv.some((a) => a.includes(value))).toBe(false);

    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    await waitFor('the CLI to follow the rollout', () => run.output().includes(FOLLOWING));
    await new Promise((r) => setTimeout(r, 300)); // several polls while the deployment is IN_PROGRESS
    expect(run.output()).not.toMatch(/revoke the old key/i);
    h.ecs.completeDeployment();

    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toBe(
      "Rollout complete: now revoke the old key in the Stripe Dashboard (Developers > API keys: expire the old key now instead of waiting for the roll's overlap to end).\n",
    );
    // Piped: plain progress lines, one a step, in order.
    const steps = [
      'the value has the form of a new STRIPE_SECRET_KEY',
      `staged as version`,
      'rotation started (new version',
      'AWSCURRENT is now version',
      `ECS deployment ${h.ecs.primary.id} completed`,
    ];
    const positions = steps.map((s) => stderr.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(stderr).toMatch(/^fleapo-secrets: /m);
    const token = /rotation started \(new version ([^)]+)\)/.exec(stderr)![1];
    expect(h.sm.value(arn) === value).toBe(true);
    expect(h.sm.stages(arn)).toEqual({ [token]: ['AWSCURRENT'], [oldVersion]: ['AWSPREVIOUS'] }); // FLEAPO_STAGED gone
    const ofSecret = (op: string) => h.sm.server.callsOf(op).filter((c) => c.input.SecretId === `${env.prefix}/stripe-secret-key`);
    expect(ofSecret('PutSecretValue').filter((c) => JSON.stringify(c.input.VersionStages) === JSON.stringify([STAGED_LABEL]))).toHaveLength(
      1,
    );
    expect(ofSecret('RotateSecret')).toHaveLength(1);
    expect(ofSecret('GetSecretValue')).toHaveLength(0); // the CLI never reads a value
  });

  test('a key the issuer rejects: the function records why, and the CLI reports that reason within seconds, long before its timeout', async () => {
    const env = environment('test');
    const arn = env.arns['stripe-secret-key'];
    const current = h.sm.versionIdOf(arn, 'AWSCURRENT');
    const rejected = fakeExternal.stripeSecret('test'); // the stand-in does not know it: 401
    h.extraSecrets.push(rejected);
    const started = Date.now();
    const first = await env.run(['stage', 'stripe-secret-key', '--env', 'staging', '--timeout', '600'], rejected).done;
    expect(first.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000); // reported from the record, not at the 600 s timeout
    expect(first.stderr).toContain('FAILED: at step wait-for-rotation: the rotation function refused version');
    expect(first.stderr).toContain('testSecret: Stripe rejected the key HTTP 401 authentication_error');
    expect(first.stderr).toContain(`AWSCURRENT is still version ${current}`);
    expect(first.stdout).toContain('do NOT revoke the old key');
    const tags = h.sm.tags(arn);
    expect(tags[TAG_REFUSED_VERSION]).toBe(h.sm.versionIdOf(arn, 'AWSPENDING'));
    expect(tags[TAG_REFUSAL]).toMatch(/^testSecret: Stripe rejected the key/);
    // Final: Secrets Manager's retries would hear the same 401, so the CLI does not follow them ("retrying").
    expect(tags[TAG_REFUSAL_FINAL]).toBe('true');
    expect(first.stderr).not.toContain('retrying:');

    // The next run is refused until the failed rotation is abandoned; then it completes.
    const good = env.accepted('stripe-secret-key');
    const refused = await env.run(['stage', 'stripe-secret-key', '--env', 'staging'], good).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is incomplete (version');
    expect(refused.stderr).toContain('Nothing was staged.');
    const rolls = h.ecs.rollCount;
    const run = env.run(['stage', 'stripe-secret-key', '--env', 'staging', '--abandon-incomplete'], good);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    h.ecs.completeDeployment();
    const { code, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stderr).toContain('dropped AWSPENDING from version');
    expect(h.sm.value(arn) === good).toBe(true);
    expect(h.sm.versionIdOf(arn, 'AWSPREVIOUS')).toBe(current);
  });

  test('a test-mode key for a live environment is refused before anything is written', async () => {
    const env = environment('live');
    const arn = env.arns['stripe-secret-key'];
    const wrong = fakeExternal.stripeSecret('test');
    h.extraSecrets.push(wrong);
    const before = h.sm.stages(arn);
    const puts = h.sm.server.callsOf('PutSecretValue').length;
    const { code, stdout, stderr } = await env.run(['stage', 'STRIPE_SECRET_KEY', '--env', 'staging'], wrong).done;
    expect(code).toBe(1);
    expect(stderr).toContain(
      'the value is refused as stripe-secret-key (live mode): it is a test-mode Stripe secret key (sk_test_), but this environment takes live-mode keys',
    );
    expect(stderr).toContain('Nothing was staged.');
    // Refused before any rotation: it says only that (no "Rotation not complete ... do NOT revoke").
    expect(stdout).toBe(
      `Refused before any rotation: nothing was staged and nothing was rotated; ${env.prefix}/stripe-secret-key keeps its current value.\n`,
    );
    expect(h.sm.stages(arn)).toEqual(before);
    expect(h.sm.server.callsOf('PutSecretValue').length).toBe(puts);
  });

  test('a FAILED deployment still listed: exit 1, the failed deployment named, "do NOT revoke", never the revoke instruction', async () => {
    const env = environment();
    const value = env.accepted('stripe-webhook-secret');
    const rolls = h.ecs.rollCount;
    const run = env.run(['stage', 'STRIPE_WEBHOOK_SECRET', '--env', 'staging'], `${value}\r\n`);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    await waitFor('the CLI to follow the rollout', () => run.output().includes(FOLLOWING));
    const failed = h.ecs.primary.id;
    const rollback = h.ecs.failDeployment(failed, { visibleForPolls: 1000 })!;
    const { code, stdout, stderr } = await run.done;
    h.ecs.completeDeployment(rollback.id);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `at step wait-for-rollout: the rollout failed: deployment ${failed} FAILED (ECS deployment circuit breaker: tasks failed to start.)`,
    );
    expect(stderr).toContain('`fleapo-secrets roll-current STRIPE_WEBHOOK_SECRET --env staging`');
    expect(stdout).toContain('do NOT revoke the old key');
    expect(stdout).not.toContain('Rollout complete');
  });

  test('a rollback whose failed deployment has already vanished, the rollback completed: exit 1, "do NOT revoke"; roll-current then rolls again and only then says revoke', async () => {
    const env = environment();
    const arn = env.arns['stripe-webhook-secret'];
    const value = env.accepted('stripe-webhook-secret');
    const rolls = h.ecs.rollCount;
    const run = env.run(['stage', 'STRIPE_WEBHOOK_SECRET', '--env', 'staging'], value);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    await waitFor('the CLI to follow the rollout', () => run.output().includes(FOLLOWING));
    const failed = h.ecs.primary.id;
    const kept = h.ecs.liveTasks.filter((t) => t.startedBy !== failed).map((t) => t.taskArn);
    const rollback = h.ecs.failDeployment(failed, { visibleForPolls: 0 })!; // gone at the next DescribeServices
    h.ecs.completeDeployment(rollback.id); // completes at once: it kept the previous tasks, which hold the old key
    expect(h.ecs.liveTasks.map((t) => t.taskArn).sort()).toEqual(kept.sort());
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(1);
    // ECS reports the completed rollback as any completed deployment (its reason says "completed" now): what gives it
    // away is that it kept service tasks created before the value became current.
    const rolledBack = `deployment ${rollback.id} completed with ${kept.length} service task(s) started before the value became current (a rollback to the previous tasks)`;
    expect(stderr).toContain(`at step wait-for-rollout: the rollout failed: ${rolledBack}`);
    expect(stderr).not.toContain(`${failed} FAILED`); // never seen: it vanished before the CLI looked
    expect(stdout).toContain('do NOT revoke the old key');
    expect(stdout).not.toMatch(/Rollout complete|now revoke/);
    expect(h.sm.value(arn) === value).toBe(true); // the rotation itself finished: the old key must stay for the retry

    // status: the verdict, failed, with the reason.
    const json = await env.run(['status', '--env', 'staging', '--json']).done;
    const hook = (
      JSON.parse(json.stdout) as { secrets: { secret: string; rollout?: { state: string; detail: string; current: boolean } }[] }[]
    )[0].secrets.find((s) => s.secret === 'STRIPE_WEBHOOK_SECRET')!;
    expect(hook.rollout).toMatchObject({ state: 'failed', current: true, detail: rolledBack });

    // Recovery (the cause fixed): roll-current rolls once more, and says revoke only after that deployment completed.
    const current = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
    const recovery = env.run(['roll-current', 'stripe-webhook-secret', '--env', 'staging']);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 2);
    await waitFor('roll-current to follow the rollout', () => recovery.output().includes(FOLLOWING));
    await sleep(200);
    expect(recovery.output()).not.toContain('Rollout complete');
    h.ecs.completeDeployment();
    const recovered = await recovery.done;
    expect(recovered.code).toBe(0);
    expect(recovered.stderr).toContain(`the recorded rollout of version ${current} is failed (${rolledBack})`);
    expect(recovered.stderr).toContain(`started ECS deployment ${h.ecs.primary.id}`);
    expect(recovered.stdout).toMatch(/^Rollout complete: now revoke the old key in the Stripe Dashboard \(Developers > Webhooks/);
    expect(h.sm.tags(arn)).toMatchObject({ 'fleapo:rollout-version': current, 'fleapo:rollout-deployment': h.ecs.primary.id });
  });

  test("a code deploy overlapping the rollout: the rotation's deployment never completes, the later one completing makes it safe", async () => {
    const env = environment('live');
    const value = env.accepted('stripe-secret-key');
    const rolls = h.ecs.rollCount;
    const run = env.run(['stage', 'STRIPE_SECRET_KEY', '--env', 'staging'], value);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    await waitFor('the CLI to follow the rollout', () => run.output().includes(FOLLOWING));
    const ours = h.ecs.primary.id;
    h.ecs.startTasks(ours, 1);
    const deploy = h.ecs.deployNewRevision(); // supersedes ours: ours never COMPLETES
    await sleep(300);
    expect(run.output()).not.toMatch(/Rollout complete|now revoke/);
    h.ecs.completeDeployment(deploy.id); // ours vanishes from DescribeServices; every older task stops
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Rollout complete: now revoke the old key/);
    expect(stderr).toContain(`ECS deployment ${deploy.id} completed and no task from before the switch still runs`);
    expect(h.ecs.deployment(ours)).toMatchObject({ rolloutState: 'IN_PROGRESS', status: 'INACTIVE' });
  });

  test('an old standalone task still running: not safe until it stops (status shows it); a run that times out says "do NOT revoke"', async () => {
    const env = environment('live');
    const job = h.ecs.runTask('nightly-report'); // RunTask of the service's family, started before the switch
    try {
      const value = env.accepted('stripe-secret-key');
      const rolls = h.ecs.rollCount;
      const run = env.run(['stage', 'STRIPE_SECRET_KEY', '--env', 'staging'], value);
      await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
      await waitFor('the CLI to follow the rollout', () => run.output().includes(FOLLOWING));
      h.ecs.completeDeployment();
      await waitFor('the CLI to see the old standalone task', () => run.output().includes(job.taskArn));
      expect(run.output()).toContain('old-tasks: deployment');

      const table = await env.run(['status', '--env', 'staging']).done;
      const block = table.stdout.split('\n\n').find((b) => b.startsWith('STRIPE_SECRET_KEY'))!;
      expect(block).toMatch(
        new RegExp(
          `rollout {8}deployment ${h.ecs.primary.id} for version \\S+: old-tasks: deployment ${h.ecs.primary.id} completed, but 1 task\\(s\\) started before the value became current still run: ${job.taskArn}`,
        ),
      );

      // roll-current while the job runs: the recorded rollout is done by the service, so nothing rolls; it waits too
      // and, given 5 s, gives up without a revoke instruction (--timeout is honoured; 5 s, not 1: on a loaded machine an AWS
      // call in flight at the deadline would report the call, not the verdict).
      const waited = await env.run(['roll-current', 'STRIPE_SECRET_KEY', '--env', 'staging', '--timeout', '5']).done;
      expect(waited.code).toBe(1);
      expect(waited.stderr).toContain('is old-tasks (');
      expect(waited.stderr).toContain('not rolling again');
      expect(waited.stderr).toMatch(
        new RegExp(`at step wait-for-rollout: the value current since \\S+ is not rolled out everywhere within 5 s: .*${job.taskArn}`),
      );
      expect(waited.stdout).toContain('Current value not rolled out everywhere (step wait-for-rollout): do NOT revoke the old key');
      expect(h.ecs.rollCount).toBe(rolls + 1);

      expect(run.output()).not.toMatch(/Rollout complete|now revoke/);
      h.ecs.stopTask(job.taskArn);
      const { code, stdout } = await run.done;
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Rollout complete: now revoke the old key/);
    } finally {
      h.ecs.stopTask(job.taskArn);
    }
  });

  test('UpdateService fails every time: the refusal within seconds, exit 1, "do NOT revoke"; roll-current (no new key) fails while it still fails, then rolls, then says revoke; again: nothing rolls', async () => {
    const env = environment('test');
    const arn = env.arns['stripe-secret-key'];
    // A first rotation that rolled out: its record stays on the secret, of the version that is no longer current.
    const first = env.accepted('stripe-secret-key');
    let rolls = h.ecs.rollCount;
    const firstRun = env.run(['stage', 'STRIPE_SECRET_KEY', '--env', 'staging'], first);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    h.ecs.completeDeployment();
    expect((await firstRun.done).code).toBe(0);
    const firstVersion = h.sm.versionIdOf(arn, 'AWSCURRENT')!;

    const value = env.accepted('stripe-secret-key');
    h.ecs.updateServiceError = new AwsError('AccessDeniedException', 'User is not authorized to perform: ecs:UpdateService');
    rolls = h.ecs.rollCount;
    let current = '';
    try {
      // Secrets Manager's retries (none in this double unless modelled) are waited for 1 s before calling it final.
      const failed = await env.run(['stage', 'STRIPE_SECRET_KEY', '--env', 'staging', '--timeout', '600', '--retry-wait', '1'], value).done;
      expect(failed.code).toBe(1);
      current = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
      expect(current).not.toBe(firstVersion);
      expect(h.sm.value(arn) === value).toBe(true);
      expect(h.sm.stages(arn)[current]).toEqual(['AWSCURRENT', 'AWSPENDING']);
      expect(failed.stderr).toContain(`at step wait-for-rotation: the rotation function refused version ${current}: finishSecret:`);
      expect(failed.stderr).toContain('finishSecret: User is not authorized to perform: ecs:UpdateService');
      expect(failed.stderr).toContain('The new value is already AWSCURRENT, but its finish step (which rolls the service) failed');
      expect(failed.stderr).toContain('retrying: attempt 1 of the finish step failed');
      expect(failed.stderr).toContain('Secrets Manager retried it without success for 1 s');
      const stagedVersion = Object.entries(h.sm.stages(arn)).find(([, st]) => st.includes(STAGED_LABEL))![0];
      expect(stagedVersion).not.toBe(current); // the label is on the version `stage` wrote; its value is current now
      expect(failed.stderr).toContain('`fleapo-secrets roll-current STRIPE_SECRET_KEY --env staging`');
      expect(failed.stdout).toContain('do NOT revoke the old key');
      expect(h.ecs.rollCount).toBe(rolls);

      // status: the refusal, and no rollout of the current version.
      const json = await env.run(['status', '--env', 'staging', '--json']).done;
      const key = (
        JSON.parse(json.stdout) as {
          secrets: { secret: string; rotation: string; rollout?: { state: string; detail: string; current: boolean; versionId: string } }[];
        }[]
      )[0].secrets.find((s) => s.secret === 'STRIPE_SECRET_KEY')!;
      expect(key).toMatchObject({ rotation: 'refused', rollout: { state: 'not-recorded', current: false, versionId: firstVersion } });
      // The staged label is left over on a value that is already current: status says so, not "waits for a rotation".
      expect(key).toMatchObject({ stagedState: 'current' });
      const table = await env.run(['status', '--env', 'staging']).done;
      expect(table.stdout).toContain(`FLEAPO_STAGED): its value is already AWSCURRENT, the label is left over`);
      expect(table.stdout).not.toContain('waits for a rotation');
      expect(key.rollout!.detail).toContain(`no rollout of the current version ${current} is recorded`);

      // Still failing: roll-current says so, exit 1; it already cleared the leftover AWSPENDING (AWSCURRENT untouched).
      const stillFailing = await env.run(['roll-current', 'STRIPE_SECRET_KEY', '--env', 'staging']).done;
      expect(stillFailing.code).toBe(1);
      expect(stillFailing.stderr).toContain(`removed the AWSPENDING label left on the current version ${current}`);
      expect(stillFailing.stderr).toContain(`removed the staged label (${STAGED_LABEL}) from version`);
      expect(Object.values(h.sm.stages(arn)).flat()).not.toContain(STAGED_LABEL);
      expect(stillFailing.stderr).toContain('at step roll-current: AccessDeniedException');
      expect(stillFailing.stdout).toContain('Current value not rolled out everywhere (step roll-current): do NOT revoke the old key');
      expect(h.sm.stages(arn)[current]).toEqual(['AWSCURRENT']);
      expect(h.sm.value(arn) === value).toBe(true);
    } finally {
      h.ecs.updateServiceError = undefined;
    }

    const run = env.run(['roll-current', 'STRIPE_SECRET_KEY', '--env', 'staging']);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    await waitFor('roll-current to follow the rollout', () => run.output().includes(FOLLOWING));
    await sleep(200);
    expect(run.output()).not.toMatch(/Rollout complete|now revoke/);
    h.ecs.completeDeployment();
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Rollout complete: now revoke the old key/);
    expect(stderr).toContain(`no rollout of the current version ${current} is recorded`);
    expect(stderr).toContain(`started ECS deployment ${h.ecs.primary.id}`);
    expect(h.sm.stages(arn)[current]).toEqual(['AWSCURRENT']);
    expect(h.sm.tags(arn)).toMatchObject({ 'fleapo:rollout-version': current, 'fleapo:rollout-deployment': h.ecs.primary.id });

    // Again: already rolled out everywhere, nothing rolls, exit 0.
    const again = await env.run(['roll-current', 'STRIPE_SECRET_KEY', '--env', 'staging']).done;
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`the recorded rollout of version ${current} is rolled-out`);
    expect(again.stdout).toMatch(/^Rollout complete: now revoke the old key/);
    expect(h.ecs.rollCount).toBe(rolls + 1);
    expect(h.sm.server.callsOf('GetSecretValue').filter((c) => c.input.SecretId === `${env.prefix}/stripe-secret-key`)).toHaveLength(0);
  });

  test('PostHog: after the rollout, nothing left to revoke', async () => {
    const env = environment();
    const value = env.accepted('posthog-api-key');
    const rolls = h.ecs.rollCount;
    const run = env.run(['stage', 'posthog-api-key', '-e', 'staging'], value);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    h.ecs.completeDeployment();
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Rollout complete: the service now sends with the new PostHog project token\. Nothing is left to revoke/);
  });

  test('refusals: a generated secret, no value, an unknown environment', async () => {
    const env = environment();
    const generated = await env.run(['stage', 'AUTH_SECRET', '--env', 'staging'], '').done;
    expect(generated.code).toBe(2);
    expect(generated.stderr).toContain(
      'AUTH_SECRET is generated by its rotation function: use `fleapo-secrets rotate AUTH_SECRET --env staging`',
    );
    const empty = await env.run(['stage', 'STRIPE_WEBHOOK_SECRET', '--env', 'staging'], '').done;
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('no value on stdin; nothing was staged');
    const unknown = await env.run(['stage', 'STRIPE_WEBHOOK_SECRET', '--env', 'qa'], 'x').done;
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--env must be one of staging (the configured environments)');
  });
});

describe('rotate', () => {
  test('AUTH_SECRET: rotates on demand and follows the rollout to the end', async () => {
    const env = environment();
    const arn = env.arns['auth-secret'];
    const before = h.sm.versionIdOf(arn, 'AWSCURRENT');
    const rolls = h.ecs.rollCount;
    const run = env.run(['rotate', 'AUTH_SECRET', '--env', 'staging']);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    await waitFor('the CLI to follow the rollout', () => run.output().includes(FOLLOWING));
    h.ecs.completeDeployment();
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toContain('Rollout complete: every task signs sessions with the new AUTH_SECRET');
    expect(h.sm.versionIdOf(arn, 'AWSPREVIOUS')).toBe(before);
    expect(h.sm.versionIdOf(arn, 'AWSPENDING')).toBeUndefined();
  });

  test("roll-current while the rotation's rollout is under way: rolls nothing and follows that rollout; DATABASE_URL with no rollout recorded: rolls once", async () => {
    const env = environment();
    const rolls = h.ecs.rollCount;
    const rotation = env.run(['rotate', 'AUTH_SECRET', '--env', 'staging']);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    await waitFor('the CLI to follow the rollout', () => rotation.output().includes(FOLLOWING));
    const version = h.sm.versionIdOf(env.arns['auth-secret'], 'AWSCURRENT');
    const recovery = env.run(['roll-current', 'AUTH_SECRET', '--env', 'staging']);
    await waitFor('roll-current to follow the rollout', () => recovery.output().includes(FOLLOWING));
    expect(recovery.output()).toContain(
      `the recorded rollout of version ${version} is in-progress (deployment(s) ${h.ecs.primary.id} in progress): not rolling again`,
    );
    h.ecs.completeDeployment();
    const [a, b] = await Promise.all([rotation.done, recovery.done]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(b.stdout).toMatch(/^Rollout complete: every task signs sessions with the new AUTH_SECRET/);
    expect(h.ecs.rollCount).toBe(rolls + 1);

    // Any of the five: DATABASE_URL, never rolled by a rotation here, is rolled once and recorded.
    const db = env.run(['roll-current', 'DATABASE_URL', '--env', 'staging']);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 2);
    await waitFor('roll-current to follow the rollout', () => db.output().includes(FOLLOWING));
    h.ecs.completeDeployment();
    const done = await db.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toContain(
      `no rollout of the current version ${h.sm.versionIdOf(env.arns['database-url'], 'AWSCURRENT')} is recorded on the secret`,
    );
    expect(h.sm.tags(env.arns['database-url'])).toMatchObject({ 'fleapo:rollout-deployment': h.ecs.primary.id });
  });

  test('a Stripe secret with nothing staged is refused with the command that stages one; nothing rotates', async () => {
    const env = environment();
    const rotations = h.sm.server.callsOf('RotateSecret').length;
    const { code, stderr } = await env.run(['rotate', 'STRIPE_SECRET_KEY', '--env', 'staging']).done;
    expect(code).toBe(1);
    expect(stderr).toContain(
      'STRIPE_SECRET_KEY takes a new value a person creates at the issuer: use `fleapo-secrets stage STRIPE_SECRET_KEY --env staging`',
    );
    expect(h.sm.server.callsOf('RotateSecret').length).toBe(rotations);
  });

  test('a secret whose stack is not deployed: the AWS error, exit 1', async () => {
    const env = environment();
    const other = configFile('fleapo/not-deployed');
    const { code, stderr } = await runCli(h, cli.file, ['rotate', 'auth-secret', '--env', 'staging'], '', { FLEAPO_CONFIG_FILE: other })
      .done;
    void env;
    expect(code).toBe(1);
    expect(stderr).toContain('at step describe: ResourceNotFoundException');
  });
});

describe('status', () => {
  test('a fresh environment, a half-done (refused) rotation, a completed one; --json parses', async () => {
    const env = environment();
    // Refused: a PostHog token the stand-in rejects.
    const rejected = fakeExternal.posthogProject();
    h.extraSecrets.push(rejected);
    expect((await env.run(['stage', 'POSTHOG_API_KEY', '--env', 'staging'], rejected).done).code).toBe(1);
    // Completed: AUTH_SECRET.
    const rolls = h.ecs.rollCount;
    const rotation = env.run(['rotate', 'AUTH_SECRET', '--env', 'staging']);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    h.ecs.completeDeployment();
    expect((await rotation.done).code).toBe(0);

    const table = await env.run(['status', '--env', 'staging']).done;
    expect(table.code).toBe(0);
    const block = (name: string) => table.stdout.split('\n\n').find((b) => b.startsWith(name))!;
    expect(block('STRIPE_WEBHOOK_SECRET')).toContain('rotation       never rotated (first value)');
    expect(block('STRIPE_WEBHOOK_SECRET')).toContain('rollout        none recorded');
    expect(block('POSTHOG_API_KEY')).toMatch(
      /rotation {7}REFUSED: version \S+ is AWSPENDING and its rotation failed at testSecret: PostHog at .* rejected the project token HTTP 401/,
    );
    expect(block('AUTH_SECRET')).toContain('rotation       complete');
    expect(block('AUTH_SECRET')).toMatch(
      new RegExp(
        `rollout {8}deployment ${h.ecs.primary.id} for version \\S+: rolled-out: deployment ${h.ecs.primary.id} completed and no task from before the value became current is running$`,
        'm',
      ),
    );
    expect(block('AUTH_SECRET')).toMatch(/AWSCURRENT\s+\d{4}-\d\d-\d\dT/);
    expect(block('AUTH_SECRET')).toContain('AWSPREVIOUS');

    const json = await env.run(['status', '--env', 'staging', '--json']).done;
    expect(json.code).toBe(0);
    const [staging] = JSON.parse(json.stdout) as {
      environment: string;
      secrets: {
        secret: string;
        rotation: string;
        refusal?: string;
        pendingVersion?: string;
        rollout?: { state: string };
        versions: { stages: string[] }[];
      }[];
    }[];
    expect(staging.environment).toBe('staging');
    const of = (name: string) => staging.secrets.find((s) => s.secret === name)!;
    expect(staging.secrets.map((s) => s.secret)).toEqual([
      'AUTH_SECRET',
      'DATABASE_URL',
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
      'POSTHOG_API_KEY',
    ]);
    expect(of('STRIPE_SECRET_KEY').rotation).toBe('never');
    expect(of('POSTHOG_API_KEY')).toMatchObject({ rotation: 'refused', refusal: expect.stringMatching(/^testSecret: PostHog/) });
    expect(of('AUTH_SECRET')).toMatchObject({
      rotation: 'complete',
      rollout: { state: 'rolled-out', current: true, deploymentId: h.ecs.primary.id },
    });
    expect(of('AUTH_SECRET').versions.map((v) => v.stages)).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
  });

  test('an in-progress rotation (rolled, deployment still running)', async () => {
    const env = environment();
    const rolls = h.ecs.rollCount;
    const rotation = env.run(['rotate', 'auth-secret', '--env', 'staging']);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    await waitFor('the CLI to follow the rollout', () => rotation.output().includes(FOLLOWING));
    const json = await env.run(['status', '--env', 'staging', '--json']).done;
    const auth = (JSON.parse(json.stdout) as { secrets: { secret: string; rollout?: { state: string; detail: string } }[] }[])[0]
      .secrets[0];
    expect(auth.rollout).toMatchObject({ state: 'in-progress', detail: `deployment(s) ${h.ecs.primary.id} in progress` });
    h.ecs.completeDeployment();
    expect((await rotation.done).code).toBe(0);
  });
  test('a rollout record that does not fit what AWS reports (an earlier time written on the secret): not rolled out', async () => {
    const env = environment();
    const rotation = env.run(['rotate', 'auth-secret', '--env', 'staging']);
    await waitFor('the CLI to follow the rollout', () => rotation.output().includes(FOLLOWING));
    h.ecs.completeDeployment();
    expect((await rotation.done).code).toBe(0);
    const authStatus = async () =>
      (
        JSON.parse((await env.run(['status', '--env', 'staging', '--json']).done).stdout) as {
          secrets: { secret: string; rollout?: { state: string; detail: string } }[];
        }[]
      )[0].secrets[0];
    expect((await authStatus()).rollout).toMatchObject({ state: 'rolled-out' });
    const { SecretsManagerClient, TagResourceCommand } = await import('@aws-sdk/client-secrets-manager');
    const sm = new SecretsManagerClient({});
    await sm.send(
      new TagResourceCommand({
        SecretId: env.arns['auth-secret'],
        Tags: [{ Key: 'fleapo:rollout-created-at', Value: new Date(Date.now() - 86_400_000).toISOString() }],
      }),
    );
    sm.destroy();
    const forged = (await authStatus()).rollout!;
    expect(forged.state).toBe('not-rolled');
    expect(forged.detail).toMatch(
      /^the rollout record does not fit what AWS reports: the recorded rollout start \S+ is earlier than the CreatedDate/,
    );
  });

  test("--profile is honoured over the environment's keys: an unknown profile is named, exit 3", async () => {
    const env = environment();
    const noFiles = { AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', FLEAPO_CONFIG_FILE: env.config };
    const r = await runCli(h, cli.file, ['status', '--env', 'staging', '--profile', 'no-such-profile'], '', noFiles).done;
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').slice(1).join('\n')).toBe(
      'fleapo-secrets: --profile no-such-profile: no such profile in /dev/null or /dev/null (no profile is defined there). Hint: `aws configure sso` creates one; `aws configure list-profiles` lists them\n',
    );
    const ok = await runCli(h, cli.file, ['status', '--env', 'staging'], '', noFiles).done;
    expect(ok.code).toBe(0);
  });
});

describe('arguments', () => {
  test('a key given as an argument, an option value or an option is refused, exit 2, and never echoed', async () => {
    const env = environment();
    const pasted = fakeExternal.stripeSecret('live');
    h.extraSecrets.push(pasted);
    for (const args of [
      ['stage', pasted, '--env', 'staging'],
      ['stage', 'STRIPE_SECRET_KEY', '--env', 'staging', pasted],
      ['stage', 'STRIPE_SECRET_KEY', `--env=${pasted}`],
      ['stage', 'STRIPE_SECRET_KEY', '--env', 'staging', `--key=${pasted}`],
      ['rotate', 'AUTH_SECRET', '--env', 'staging', `--${pasted}`],
      [pasted],
    ]) {
      const r = await env.run(args, '', { keyInArguments: true }).done;
      expect({ args: args.map((a) => (a.includes(pasted) ? '<key>' : a)), code: r.code }).toEqual({
        args: args.map((a) => (a.includes(pasted) ? '<key>' : a)),
        code: 2,
      });
      expect(r.stderr).toMatch(/^fleapo-secrets: /);
      expect(r.stderr).toContain('--help');
    }
  });

  test('a reader that closes the pipe early (| head) ends the output quietly: exit 0, nothing on stderr', async () => {
    const child = spawn(process.execPath, [cli.file, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // closed before the first write
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  test('--help: the program and each command', async () => {
    const env = environment();
    const top = await env.run(['--help']).done;
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^Usage: fleapo-secrets \[options\] \[command\]/);
    for (const command of ['stage', 'rotate', 'roll-current', 'status']) expect(top.stdout).toContain(`  ${command} `);
    for (const command of ['stage', 'rotate', 'roll-current', 'status']) {
      const r = await env.run([command, '--help']).done;
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: fleapo-secrets ${command} [options]`);
      expect(r.stdout).toContain('--env <environment>');
      expect(r.stdout).toContain('--profile <name>');
    }
    const help = await env.run(['help', 'stage']).done;
    expect(help.stdout).toContain('The value is read from stdin');
    const roll = await env.run(['roll-current', '--help']).done;
    expect(roll.stdout).toContain('Usage: fleapo-secrets roll-current [options] <secret>');
    expect(roll.stdout).toContain('--timeout <seconds>');
    expect(roll.stdout).not.toContain('--abandon-incomplete');
    expect(roll.stdout).toContain('It reads no value and never moves AWSCURRENT');
    expect(roll.stdout).toContain('when nothing is wrong it rolls nothing');
    const rollMissing = await env.run(['roll-current', '--env', 'staging']).done;
    expect(rollMissing.code).toBe(2);
    expect(rollMissing.stderr).toContain('missing argument: secret');
    expect(rollMissing.stderr).toContain("Run 'fleapo-secrets roll-current --help' for usage.");
    const missing = await env.run(['rotate', '--env', 'staging']).done;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing argument: secret');
    const badTimeout = await env.run(['rotate', 'AUTH_SECRET', '--env', 'staging', '--timeout', '0']).done;
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toContain('--timeout must be a positive number of seconds');
  });
});

/** Runs the CLI on a pseudo-terminal (util-linux `script`), types `keys` once the prompt shows; returns the terminal's text. */
function onTerminal(args: string[], keys: string, config: string): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, cli.file, ...args].join(' '); // flags only: the value is typed
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: ROOT,
    env: { ...process.env, FLEAPO_CONFIG_FILE: config, CI: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let typed = false;
  const onData = (c: Buffer) => {
    screen += c.toString();
    if (!typed && screen.includes('(input hidden): ')) {
      typed = true;
      child.stdin.write(keys);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      h.capture.add(screen);
      resolve({ code, screen });
    });
  });
}

/** `script` is util-linux's, in Debian's bsdutils (an Essential package: on every Debian system); .ci/run installs it if missing. */
test('the terminal test has a pseudo-terminal: util-linux `script` is installed', () => {
  expect(() => execFileSync('script', ['--version'], { stdio: 'ignore' })).not.toThrow();
});

test('on a terminal: hidden prompt (backspace works), a task list with a spinner, never the value', async () => {
  const env = environment('live');
  const testKey = fakeExternal.stripeSecret('test');
  h.extraSecrets.push(testKey);
  const refused = await onTerminal(['stage', 'STRIPE_SECRET_KEY', '--env', 'staging'], `${testKey}\r`, env.config);
  expect(refused.code).toBe(1);
  expect(refused.screen).toContain(`New STRIPE_SECRET_KEY for ${env.prefix}/stripe-secret-key (input hidden): `);
  expect(refused.screen).toContain(
    '✖ at step check: the value is refused as stripe-secret-key (live mode): it is a test-mode Stripe secret key (sk_test_)',
  );
  expect(refused.screen.includes(testKey)).toBe(false);

  // A typo erased with backspace: the form check passes and the run goes on to the end.
  const live = env.accepted('stripe-secret-key');
  const rolls = h.ecs.rollCount;
  const run = onTerminal(['stage', 'STRIPE_SECRET_KEY', '--env', 'staging', '--poll-interval', '0.05'], `${live}!\u007f\r`, env.config);
  await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
  h.ecs.completeDeployment();
  const done = await run;
  expect(done.code).toBe(0);
  expect(done.screen).toContain('✔ the value has the form of a new STRIPE_SECRET_KEY');
  expect(done.screen).toMatch(/✔ ECS deployment \S+ completed/);
  expect(done.screen.includes(live)).toBe(false);
  expect(h.sm.value(env.arns['stripe-secret-key']) === live).toBe(true);
});

test('no secret value in any CLI output, argument list, log line or error message', () => {
  expect(h.extraSecrets.length).toBeGreaterThan(20);
  expect(h.leaks()).toEqual([]);
});
