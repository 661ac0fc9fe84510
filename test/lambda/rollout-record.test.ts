import '../support/test-env';
import * as crypto from 'node:crypto';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SecretsManagerClient, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { handler } from '../../lambda/auth-secret-rotation';
import { handler as retirementHandler } from '../../lambda/database-role-retirement';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { TAG_ROLLOUT_CREATED_AT, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../../catalog/tags';
import { currentRolloutVerdict, verifiedRolloutVerdict } from '../../runtime/rollout-follow';
import { recordedRollout } from '../../runtime/rollout-tags';
import { SecretStore } from '../../runtime/secret-store';
import { invoker, scheduledEvent } from '../support/events';
import { FakeEcs } from '../support/fake-ecs';
import { RotationHarness } from '../support/rotation-harness';

/*
 * Verdicts from what AWS says: the rollout record on a secret (tags anyone with TagResource on those keys could
 * write) is checked against the AWSCURRENT version's CreatedDate (Secrets Manager, ListSecretVersionIds) and the
 * deployments DescribeServices reports for the service (the ECS double). A record that does not fit is "not rolled
 * out" and raises RolloutNotRecorded.
 */
const h = new RotationHarness(false);
const rotate = invoker(handler);
const hex = () => crypto.randomBytes(64).toString('hex');
let ecs: ECSClient;
let sm: SecretsManagerClient;
let store: SecretStore;
const target = () => ({ cluster: h.ecs.clusterArn, service: h.ecs.serviceArn });

beforeAll(async () => {
  await h.start();
  ecs = new ECSClient({});
  sm = new SecretsManagerClient({});
  store = new SecretStore(sm);
});
afterAll(async () => {
  ecs.destroy();
  sm.destroy();
  await h.stop();
});

async function tag(arn: string, versionId: string, deploymentId: string, createdAt: number): Promise<void> {
  await sm.send(
    new TagResourceCommand({
      SecretId: arn,
      Tags: [
        { Key: TAG_ROLLOUT_VERSION, Value: versionId },
        { Key: TAG_ROLLOUT_DEPLOYMENT, Value: deploymentId },
        { Key: TAG_ROLLOUT_CREATED_AT, Value: new Date(createdAt).toISOString() },
      ],
    }),
  );
}

/** The checked verdict, as the functions compute it, and the record-believing one it replaces. */
async function verdicts(arn: string) {
  const description = await store.describe(arn);
  const versionId = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
  const record = recordedRollout(description.tags, versionId)!;
  const problems: string[] = [];
  const checked = await verifiedRolloutVerdict(
    ecs,
    target(),
    { record, versionCreatedAt: await store.versionCreatedDate(arn, versionId) },
    (p) => problems.push(p),
  );
  const believed = await currentRolloutVerdict(ecs, target(), record.createdAt);
  return { checked, believed, problems };
}

/**
 * A clean service (its PRIMARY deployment completed, created before the secret's version), a secret whose current
 * version is created after that, and the rotation's deployment R started and still in progress: tasks from before
 * the value became current still run.
 */
async function rotationInProgress() {
  h.ecs.completeDeployment();
  const before = h.ecs.primary;
  const arn = h.sm.createSecret(`fleapo/test/record-${crypto.randomBytes(3).toString('hex')}`, hex());
  const versionId = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
  // A later millisecond than the version's CreatedDate (both clocks read Date.now()): a record 1 ms before the
  // deployment (below) is then after the version, as the test means, not before it by chance.
  await new Promise((resolve) => setTimeout(resolve, 3));
  const rollout = h.ecs.deployNewRevision();
  return { arn, versionId, before, rollout };
}

test('control: the record the rotation writes fits, and the verdict follows ECS (in progress, then rolled out)', async () => {
  const { arn, versionId, rollout } = await rotationInProgress();
  await tag(arn, versionId, rollout.id, rollout.createdAt);
  expect((await verdicts(arn)).checked).toMatchObject({ state: 'in-progress', deploymentIds: [rollout.id] });
  h.ecs.completeDeployment(rollout.id);
  expect(await verdicts(arn)).toMatchObject({ checked: { state: 'rolled-out', deploymentId: rollout.id }, problems: [] });
  // Superseded: a code deploy created since then completed, and ECS no longer reports the recorded deployment.
  const deploy = h.ecs.deployNewRevision();
  h.ecs.completeDeployment(deploy.id);
  expect(h.ecs.deployments.find((d) => d.id === rollout.id)?.status).toBe('INACTIVE');
  expect(await verdicts(arn)).toMatchObject({ checked: { state: 'rolled-out', deploymentId: deploy.id }, problems: [] });
});

test('a forged early time: refused, though the record-believing verdict would say rolled out while old tasks run', async () => {
  const { arn, versionId, before, rollout } = await rotationInProgress();
  // Earlier than the version itself: the completed deployment from before the switch looks like "the rollout".
  await tag(arn, versionId, rollout.id, before.createdAt);
  const early = await verdicts(arn);
  expect(early.believed).toMatchObject({ state: 'rolled-out', deploymentId: before.id }); // the harm, without the check
  expect(early.checked).toMatchObject({ state: 'not-rolled', recordMismatch: true });
  expect(early.problems).toHaveLength(1);
  expect(early.problems[0]).toMatch(
    new RegExp(`^the recorded rollout start \\S+ is earlier than the CreatedDate \\S+ of version ${versionId}$`),
  );
  // After the version's creation (a millisecond after the deployment's own time: one before it can fall before the
  // version's CreatedDate when both were made in the same millisecond), but not the time ECS reports for it.
  await tag(arn, versionId, rollout.id, rollout.createdAt + 1);
  const shifted = await verdicts(arn);
  expect(shifted.checked).toMatchObject({ state: 'not-rolled', recordMismatch: true });
  expect(shifted.problems[0]).toBe(
    `ECS reports deployment ${rollout.id} created at ${new Date(rollout.createdAt).toISOString()}, not at the recorded ${new Date(rollout.createdAt + 1).toISOString()}`,
  );
  h.ecs.completeDeployment(rollout.id);
  expect((await verdicts(arn)).checked).toMatchObject({ state: 'not-rolled', recordMismatch: true }); // still no fit
});

test('a time and deployment from another service: refused', async () => {
  const { arn, versionId, rollout } = await rotationInProgress();
  const other = new FakeEcs(); // another service's deployments (never started: only its ids and times are used)
  const elsewhere = other.deployNewRevision();
  other.completeDeployment(elsewhere.id);
  await tag(arn, versionId, elsewhere.id, elsewhere.createdAt);
  const result = await verdicts(arn);
  expect(result.checked).toMatchObject({ state: 'not-rolled', recordMismatch: true });
  expect(result.problems[0]).toContain(`ECS does not report the recorded deployment ${elsewhere.id} for this service`);
  h.ecs.completeDeployment(rollout.id);
});

test('a deployment id that never existed: refused while ECS still reports older deployments', async () => {
  const { arn, versionId, rollout } = await rotationInProgress();
  const version = await store.versionCreatedDate(arn, versionId);
  await tag(arn, versionId, 'ecs-svc/0000000000000000000', version!.getTime());
  const result = await verdicts(arn);
  expect(result.checked).toMatchObject({ state: 'not-rolled', recordMismatch: true });
  expect(result.problems[0]).toContain('ECS does not report the recorded deployment ecs-svc/0000000000000000000 for this service');
  // Once every older deployment is gone, T is ECS's own creation time of the oldest one reported (never the record's).
  h.ecs.completeDeployment(rollout.id);
  expect((await verdicts(arn)).checked).toMatchObject({ state: 'rolled-out', deploymentId: rollout.id });
});

test('AUTH_SECRET: a forged record makes createSecret refuse (nothing staged) and raises RolloutNotRecorded', async () => {
  const arn = h.sm.createSecret(`fleapo/test/record-auth-${crypto.randomBytes(3).toString('hex')}`, hex());
  expect(await h.rotate(arn, rotate)).toMatchObject({ ok: true }); // publishes the next key, rolls, records
  const versionId = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
  const rollout = h.ecs.primary;
  expect(h.sm.tags(arn)[TAG_ROLLOUT_DEPLOYMENT]).toBe(rollout.id);
  // Someone writes an earlier time: the old tasks would pass as "rolled out", the next rotation would switch keys.
  const old = h.ecs.deployments.find((d) => d.status === 'ACTIVE')!;
  await tag(arn, versionId, rollout.id, old.createdAt);
  const metricsBefore = h.capture.jsonLines().filter((l) => 'RolloutNotRecorded' in l).length;
  const current = h.sm.value(arn);
  const result = await h.rotate(arn, rotate);
  expect(result).toMatchObject({ ok: false, step: 'createSecret' });
  if (!result.ok) expect(result.error.message).toContain('the rollout record does not fit what AWS reports');
  expect(h.sm.value(arn) === current).toBe(true);
  expect(h.capture.jsonLines().filter((l) => 'RolloutNotRecorded' in l && '_aws' in l)).toHaveLength(metricsBefore + 1);
  // The true record, once ECS reports the rollout complete: the rotation goes on (same token, Secrets Manager's retry).
  await tag(arn, versionId, rollout.id, rollout.createdAt);
  h.ecs.completeDeployment(rollout.id);
  expect(await h.rotate(arn, rotate, result.token)).toMatchObject({ ok: true });
});

test('retirement: a forged record stalls it (RetirementStalled and RolloutNotRecorded) before any database login', async () => {
  h.ecs.completeDeployment();
  const before = h.ecs.primary;
  // The configured database is never reached: the verdict comes first (no PostgreSQL in this file).
  Object.assign(process.env, {
    MASTER_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:fleapo/test/no-master-AbCdEf',
    DB_HOST: '127.0.0.1',
    DB_PORT: '9',
    DB_NAME: 'fleapo',
    DB_APP_USER: 'app',
  });
  const previous = `postgres://app:${crypto.randomBytes(16).toString('hex')}@127.0.0.1:9/fleapo`;
  const current = `postgres://app_clone:${crypto.randomBytes(16).toString('hex')}@127.0.0.1:9/fleapo`;
  h.extraSecrets.push(previous, current);
  const arn = h.sm.createSecret(`fleapo/test/record-db-${crypto.randomBytes(3).toString('hex')}`, previous);
  await sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString: current, VersionStages: ['AWSCURRENT'] }));
  const versionId = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
  const rollout = h.ecs.deployNewRevision();
  // The old tasks still run; the record claims a start before the version existed.
  await tag(arn, versionId, rollout.id, before.createdAt);
  process.env.SECRET_ARN = arn;
  const count = (name: string) => h.capture.jsonLines().filter((l) => name in l && '_aws' in l).length;
  const [stalled, notRecorded] = [count('RetirementStalled'), count('RolloutNotRecorded')];
  await expect(retirementHandler(scheduledEvent())).resolves.toEqual({ outcome: 'stalled' });
  expect(count('RetirementStalled')).toBe(stalled + 1);
  expect(count('RolloutNotRecorded')).toBe(notRecorded + 1);
  // The true record: waits for ECS (the rollout is still in progress), no alarm.
  await tag(arn, versionId, rollout.id, rollout.createdAt);
  await expect(retirementHandler(scheduledEvent())).resolves.toEqual({ outcome: 'waiting' });
  expect(count('RolloutNotRecorded')).toBe(notRecorded + 1);
  h.ecs.completeDeployment(rollout.id);
});

test('no value in any output', () => {
  expect(h.leaks()).toEqual([]);
});
