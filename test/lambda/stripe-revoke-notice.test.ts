import '../support/test-env';
import { handler } from '../../lambda/stripe-revoke-notice';
import { handler as externalHandler } from '../../lambda/external-secret-rotation';
import { STAGED_LABEL } from '../../catalog/labels';
import { TAG_REVOKE_NOTICE_VERSION } from '../../catalog/tags';
import { deploymentEvent, invoker, scheduledEvent } from '../support/events';
import { fakeExternal } from '../support/external-fakes';
import { FakeIssuers } from '../support/fake-issuers';
import { FakeSns } from '../support/fake-sns';
import { RotationHarness } from '../support/rotation-harness';

/**
 * "The old key may now be revoked" on the alert topic: the real handler against the Secrets Manager, ECS and SNS
 * doubles, after a real rotation of a Stripe secret key (external-secret handler, local Stripe stand-in).
 */
const h = new RotationHarness(false);
const sns = new FakeSns();
const issuers = new FakeIssuers();
const TOPIC = 'arn:aws:sns:us-east-1:111111111111:fleapo-test-secrets-alerts';
let stripeArn = '';
let webhookArn = '';

beforeAll(async () => {
  await Promise.all([h.start(), sns.start(), issuers.start()]);
  sns.topics.add(TOPIC);
  const old = fakeExternal.stripeSecret('live');
  const hook = fakeExternal.webhookSecret();
  h.extraSecrets.push(old, hook);
  stripeArn = h.sm.createSecret('fleapo/test/stripe-secret-key', old);
  webhookArn = h.sm.createSecret('fleapo/test/stripe-webhook-secret', hook);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    NOTICE_SECRET_ARNS: `STRIPE_SECRET_KEY=${stripeArn},STRIPE_WEBHOOK_SECRET=${webhookArn}`,
    ALERT_TOPIC_ARN: TOPIC,
    EXTERNAL_SECRET_NAME: 'STRIPE_SECRET_KEY',
    STRIPE_MODE: 'live',
    STRIPE_API_BASE: issuers.origin,
  });
});
afterAll(() => Promise.all([h.stop(), sns.stop(), issuers.stop()]));

/** A completed rotation of the Stripe secret key to a new accepted key; returns its version id. */
async function rotateStripeKey(): Promise<string> {
  const value = fakeExternal.stripeSecret('live');
  h.extraSecrets.push(value);
  issuers.stripeKeys.set(value, { livemode: true });
  const client = h.sm.sdkClient();
  const { PutSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  await client.send(new PutSecretValueCommand({ SecretId: stripeArn, SecretString: value, VersionStages: [STAGED_LABEL] }));
  client.destroy();
  const result = await h.rotate(stripeArn, invoker(externalHandler));
  expect(result.ok).toBe(true);
  return result.token;
}

test("publishes once the rotation's deployment completed, with secret name and version, never a value; once per version", async () => {
  const version = await rotateStripeKey();
  const deployment = h.ecs.primary.id;
  const published = sns.published.length;

  // In progress, another deployment, a tick: nothing.
  expect(await handler(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_IN_PROGRESS', deployment))).toEqual({ announced: [] });
  expect(await handler(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', 'ecs-svc/other'))).toEqual({ announced: [] });
  expect(await handler(scheduledEvent())).toEqual({ announced: [] });
  expect(sns.published.length).toBe(published);

  h.ecs.completeDeployment();
  const event = deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', deployment);
  expect(await handler(event)).toEqual({ announced: [stripeArn] });
  expect(sns.published.slice(published)).toEqual([
    {
      topicArn: TOPIC,
      subject: 'fleapo test: the old Stripe key may now be revoked',
      message: expect.stringContaining(
        `The rollout carrying version ${version} of STRIPE_SECRET_KEY has completed (ECS deployment ${deployment})`,
      ),
    },
  ]);
  expect(h.sm.tags(stripeArn)[TAG_REVOKE_NOTICE_VERSION]).toBe(version);

  // EventBridge delivers at least once: the same event again publishes nothing more.
  expect(await handler(event)).toEqual({ announced: [] });
  expect(sns.published.length).toBe(published + 1);
});

test('a rollback (the failed deployment already gone, the rollback completed) announces nothing, whatever events arrive', async () => {
  await rotateStripeKey();
  const failed = h.ecs.primary.id;
  const published = sns.published.length;
  const rollback = h.ecs.failDeployment(failed, { visibleForPolls: 0 })!;
  expect(await handler(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_FAILED', failed, 'rolling back'))).toEqual({ announced: [] });
  h.ecs.completeDeployment(rollback.id); // kept the previous tasks, which hold the old key
  // The event names a completed deployment; ECS no longer lists the failed one. Still nothing: the completed
  // deployment kept service tasks from before the switch.
  expect(h.ecs.deployments.filter((d) => d.status !== 'INACTIVE').map((d) => d.id)).toEqual([rollback.id]);
  expect(await handler(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', rollback.id))).toEqual({ announced: [] });
  expect(await handler(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', failed))).toEqual({ announced: [] });
  expect(sns.published.length).toBe(published);
  expect(h.sm.tags(stripeArn)[TAG_REVOKE_NOTICE_VERSION]).not.toBe(h.sm.versionIdOf(stripeArn, 'AWSCURRENT'));
});

// The same rollback under the other readings of what ECS does (RollbackModel, not documented): never announced while
// the failed deployment is listed; once the rollback completed, announced only if its tasks started after the
// switch (they read the new key): 'replaces-tasks'; a resumed deployment from before the switch never carries it.
test.each([
  ['replaces-tasks', 1],
  ['resumes-previous', 0],
] as const)(
  'a rollback under the ECS model %s: %i announcement(s) once the rollback completed, none before',
  async (model, announcements) => {
    await rotateStripeKey();
    const failed = h.ecs.primary.id;
    const published = sns.published.length;
    const rollback = h.ecs.failDeployment(failed, { visibleForPolls: 1, model })!;
    expect(await handler(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_FAILED', failed, 'rolling back'))).toEqual({
      announced: [],
    });
    expect(await handler(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_IN_PROGRESS', rollback.id, 'rolling back'))).toEqual({
      announced: [],
    });
    h.ecs.completeDeployment(rollback.id);
    await handler(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', rollback.id));
    expect(sns.published.length).toBe(published + announcements);
    const announced = h.sm.tags(stripeArn)[TAG_REVOKE_NOTICE_VERSION] === h.sm.versionIdOf(stripeArn, 'AWSCURRENT');
    expect(announced).toBe(announcements === 1);
  },
);

test("a code deploy that superseded the rotation's deployment completes: announced once, naming that deployment", async () => {
  const version = await rotateStripeKey();
  const ours = h.ecs.primary.id;
  h.ecs.startTasks(ours, 1);
  const deploy = h.ecs.deployNewRevision(); // ours never completes
  const published = sns.published.length;
  expect(await handler(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploy.id))).toEqual({ announced: [] });
  h.ecs.completeDeployment(deploy.id);
  expect(h.ecs.deployment(ours).rolloutState).toBe('IN_PROGRESS');
  const event = deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', deploy.id);
  expect(await handler(event)).toEqual({ announced: [stripeArn] });
  expect(sns.published.slice(published)).toEqual([
    {
      topicArn: TOPIC,
      subject: 'fleapo test: the old Stripe key may now be revoked',
      message: expect.stringContaining(
        `The rollout carrying version ${version} of STRIPE_SECRET_KEY has completed (ECS deployment ${deploy.id})`,
      ),
    },
  ]);
  expect(await handler(event)).toEqual({ announced: [] });
  expect(sns.published.length).toBe(published + 1);
});

test('an old standalone task still running: no notice when the deployment completes; the 15-minute tick that finds it stopped announces, with no new deployment', async () => {
  const job = h.ecs.runTask('nightly-report'); // started before the switch: may hold the old key
  const version = await rotateStripeKey();
  const deployment = h.ecs.primary.id;
  const published = sns.published.length;
  h.ecs.completeDeployment();
  expect(await handler(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', deployment))).toEqual({ announced: [] });
  expect(await handler(scheduledEvent())).toEqual({ announced: [] });
  expect(sns.published.length).toBe(published);
  expect(h.sm.tags(stripeArn)[TAG_REVOKE_NOTICE_VERSION]).not.toBe(version);

  h.ecs.stopTask(job.taskArn);
  const rolls = h.ecs.rollCount;
  expect(await handler(scheduledEvent())).toEqual({ announced: [stripeArn] });
  expect(h.ecs.rollCount).toBe(rolls); // no deployment was needed
  expect(sns.published.slice(published)).toEqual([
    expect.objectContaining({
      message: expect.stringContaining(
        `The rollout carrying version ${version} of STRIPE_SECRET_KEY has completed (ECS deployment ${deployment})`,
      ),
    }),
  ]);
  expect(await handler(scheduledEvent())).toEqual({ announced: [] }); // once per version
  expect(h.sm.tags(stripeArn)[TAG_REVOKE_NOTICE_VERSION]).toBe(version);
});

test('no secret value in any notice or log line', () => {
  h.capture.add(JSON.stringify(sns.published));
  expect(h.extraSecrets.length).toBeGreaterThan(2);
  expect(h.leaks()).toEqual([]);
});
