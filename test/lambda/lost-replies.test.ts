import '../support/test-env';
import * as crypto from 'node:crypto';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ListSecretVersionIdsCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { handler } from '../../lambda/auth-secret-rotation';
import { currentRolloutVerdict } from '../../runtime/rollout-follow';
import { isRotationsOwnPending } from '../../lambda/rotation/pending-marker';
import { ROLLOUT_TAG_KEYS, TAG_PENDING, TAG_ROLLOUT_CREATED_AT, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../../catalog/tags';
import type { LostReply } from '../support/aws-json-server';
import { invoker } from '../support/events';
import { RotationEvent } from '../support/fake-secrets-manager';
import { RotationHarness } from '../support/rotation-harness';

/*
 * Calls that take effect but whose reply is lost (HTTP 500 after the change, or the connection cut), with the AWS
 * SDK's default retry strategy as production runs it (no AWS_MAX_ATTEMPTS): the SDK sends the same request again.
 */
const h = new RotationHarness(false);
const rotate = invoker(handler);
const hex = () => crypto.randomBytes(64).toString('hex');
const HOW: LostReply[] = ['status-500', 'reset'];

beforeAll(async () => {
  await h.start();
  delete process.env.AWS_MAX_ATTEMPTS; // before any client of this file exists: the SDK's default, 3 attempts
});
afterAll(() => h.stop());

const sm = () => new SecretsManagerClient({});
const target = () => ({ cluster: h.ecs.clusterArn, service: h.ecs.serviceArn });
const verdictSince = async (since: Date) => {
  const ecs = new ECSClient({});
  try {
    return await currentRolloutVerdict(ecs, target(), since);
  } finally {
    ecs.destroy();
  }
};
/** TagResource calls that write the rollout record (createSecret's pending marker is another TagResource call). */
const rolloutRecordCalls = () =>
  h.sm.server
    .callsOf('TagResource')
    .filter((c) => ((c.input.Tags as { Key: string }[] | undefined) ?? []).some((t) => ROLLOUT_TAG_KEYS.includes(t.Key)));
const rolloutRecord = (arn: string) => Object.fromEntries(Object.entries(h.sm.tags(arn)).filter(([k]) => ROLLOUT_TAG_KEYS.includes(k)));
async function versionIds(arn: string): Promise<string[]> {
  const client = sm();
  const out = await client.send(new ListSecretVersionIdsCommand({ SecretId: arn, IncludeDeprecated: true }));
  client.destroy();
  return (out.Versions ?? []).map((v) => v.VersionId!).sort();
}

/** A secret as the stack creates it, with its first rotation done and rolled out. */
async function rotatedOnce(): Promise<string> {
  const arn = h.sm.createSecret(`fleapo/test/auth-secret-${crypto.randomBytes(3).toString('hex')}`, hex());
  expect(await h.rotate(arn, rotate)).toMatchObject({ ok: true });
  h.ecs.completeDeployment();
  return arn;
}

test('the SDK clients here retry (positive control): a reply lost once is retried and the call succeeds', async () => {
  const arn = await rotatedOnce();
  const before = h.sm.server.callsOf('DescribeSecret').length;
  h.sm.server.loseReplyNext('DescribeSecret', 1, 'reset');
  expect(await versionIds(arn)).toHaveLength(2);
  h.sm.server.loseReplyNext('ListSecretVersionIds', 1, 'status-500');
  expect(await versionIds(arn)).toHaveLength(2);
  expect(h.sm.server.callsOf('ListSecretVersionIds').length).toBeGreaterThanOrEqual(3);
  expect(h.sm.server.callsOf('DescribeSecret').length).toBe(before); // nothing else was called
  h.sm.server.clearFailures();
});

test.each(HOW)(
  'UpdateService started a deployment, its reply was lost (%s), the SDK retried: one rollout recorded, of the deployment the retry started; the lost one is never counted as ours',
  async (how) => {
    const arn = await rotatedOnce();
    const rolls = h.ecs.rollCount;
    const updates = h.ecs.server.callsOf('UpdateService').length;
    const tagCalls = rolloutRecordCalls().length;
    const lossy = async (event: RotationEvent) => {
      if (event.Step === 'finishSecret') h.ecs.server.loseReplyNext('UpdateService', 1, how);
      await rotate(event);
    };
    const result = await h.rotate(arn, lossy);
    expect(result).toMatchObject({ ok: true });
    expect(h.ecs.server.callsOf('UpdateService').length).toBe(updates + 2); // the SDK sent it again
    expect(h.ecs.rollCount).toBe(rolls + 2); // and ECS started a deployment for each (UpdateService has no idempotency token)
    const [lost, retried] = h.ecs.deployments.slice(-2);
    expect([lost.status, retried.status]).toEqual(['ACTIVE', 'PRIMARY']);
    // One record, written once, naming the deployment whose reply the function read.
    expect(rolloutRecordCalls().length).toBe(tagCalls + 1);
    expect(rolloutRecord(arn)).toEqual({
      [TAG_ROLLOUT_VERSION]: result.token,
      [TAG_ROLLOUT_DEPLOYMENT]: retried.id,
      [TAG_ROLLOUT_CREATED_AT]: new Date(retried.createdAt).toISOString(),
    });
    // Besides the record, the secret carries only the marker of the value this rotation stored (no refusal).
    expect(Object.keys(h.sm.tags(arn)).sort()).toEqual([TAG_PENDING, ...ROLLOUT_TAG_KEYS].sort());
    expect(isRotationsOwnPending(h.sm.tags(arn), result.token, h.sm.value(arn)!)).toBe(true);
    // The lost deployment started a task before T (the recorded createdAt): it is not ours, it does not make the rollout
    // done, and once ours completes it is drained like any older deployment.
    h.ecs.startTasks(lost.id, 1);
    const since = new Date(h.sm.tags(arn)[TAG_ROLLOUT_CREATED_AT]);
    expect(await verdictSince(since)).toEqual({ state: 'in-progress', deploymentIds: [retried.id] });
    h.ecs.completeDeployment(retried.id);
    expect(await verdictSince(since)).toEqual({ state: 'rolled-out', deploymentId: retried.id });
    // A retry of the whole rotation rolls nothing more, and the next rotation sees this rollout as done.
    expect(await h.rotate(arn, rotate, result.token)).toMatchObject({ ok: true });
    expect(h.ecs.rollCount).toBe(rolls + 2);
    expect(await h.rotate(arn, rotate)).toMatchObject({ ok: true });
    expect(h.ecs.rollCount).toBe(rolls + 3);
    h.ecs.completeDeployment();
  },
);

test.each(HOW)(
  'PutSecretValue stored the pending version, its reply was lost (%s), the SDK retried with the same ClientRequestToken: one new version, the first value',
  async (how) => {
    const arn = await rotatedOnce();
    const versionsBefore = await versionIds(arn);
    const puts = h.sm.server.callsOf('PutSecretValue').length;
    const stored = h.sm.storedValues.length;
    const lossy = async (event: RotationEvent) => {
      if (event.Step === 'createSecret') h.sm.server.loseReplyNext('PutSecretValue', 1, how);
      await rotate(event);
    };
    const result = await h.rotate(arn, lossy);
    expect(result).toMatchObject({ ok: true });
    const [first, again] = h.sm.server.callsOf('PutSecretValue').slice(puts);
    expect(h.sm.server.callsOf('PutSecretValue')).toHaveLength(puts + 2);
    expect(first.input.ClientRequestToken).toBe(result.token);
    expect(JSON.stringify(again.input) === JSON.stringify(first.input)).toBe(true); // the same request (values not printed)
    expect(await versionIds(arn)).toEqual([...versionsBefore, result.token].sort());
    expect(h.sm.storedValues).toHaveLength(stored + 1); // the retry stored nothing
    expect(h.sm.value(arn) === first.input.SecretString).toBe(true);
    // The marker createSecret wrote before the value is the first value's: the retried put did not need another.
    expect(isRotationsOwnPending(h.sm.tags(arn), result.token, first.input.SecretString as string)).toBe(true);
    h.ecs.completeDeployment();
  },
);

test.each(HOW)(
  'the pending marker was tagged, its reply was lost (%s), the SDK retried TagResource: the same marker, the rotation completes',
  async (how) => {
    const arn = await rotatedOnce();
    const tags = h.sm.server.callsOf('TagResource').length;
    const lossy = async (event: RotationEvent) => {
      if (event.Step === 'createSecret') h.sm.server.loseReplyNext('TagResource', 1, how);
      await rotate(event);
    };
    const result = await h.rotate(arn, lossy);
    expect(result).toMatchObject({ ok: true });
    const [first, again] = h.sm.server.callsOf('TagResource').slice(tags);
    expect((first.input.Tags as { Key: string }[]).map((t) => t.Key)).toEqual([TAG_PENDING]);
    expect(JSON.stringify(again.input) === JSON.stringify(first.input)).toBe(true);
    expect(isRotationsOwnPending(h.sm.tags(arn), result.token, h.sm.value(arn)!)).toBe(true);
    h.ecs.completeDeployment();
  },
);

test('PutSecretValue stored the pending version but every attempt of the SDK lost its reply: createSecret fails; the retried step keeps the stored, marked value', async () => {
  const arn = await rotatedOnce();
  const puts = h.sm.server.callsOf('PutSecretValue').length;
  const stored = h.sm.storedValues.length;
  let lost = false;
  const lossy = async (event: RotationEvent) => {
    if (event.Step === 'createSecret' && !lost) {
      lost = true;
      h.sm.server.loseReplyNext('PutSecretValue', 3, 'status-500'); // the SDK's default: 3 attempts
    }
    await rotate(event);
  };
  const failed = await h.rotate(arn, lossy);
  h.sm.server.clearFailures();
  expect(failed).toMatchObject({ ok: false, step: 'createSecret' });
  expect(h.sm.server.callsOf('PutSecretValue')).toHaveLength(puts + 3);
  expect(h.sm.storedValues).toHaveLength(stored + 1);
  const first = h.sm.server.callsOf('PutSecretValue')[puts];
  expect(h.sm.value(arn, 'AWSPENDING') === first.input.SecretString).toBe(true);

  const retried = await h.rotate(arn, rotate, failed.token);
  expect(retried).toMatchObject({ ok: true });
  expect(h.sm.server.callsOf('PutSecretValue')).toHaveLength(puts + 3); // nothing generated or stored again
  expect(h.sm.storedValues).toHaveLength(stored + 1);
  expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(failed.token);
  expect(h.sm.value(arn) === first.input.SecretString).toBe(true);
  h.ecs.completeDeployment();
});

test('PutSecretValue with a token already used (Secrets Manager API reference, ClientRequestToken): same value ignored (not even its stages), another value refused', async () => {
  const arn = await rotatedOnce();
  const client = sm();
  const token = crypto.randomUUID();
  const value = hex();
  h.extraSecrets.push(value);
  const put = (SecretString: string, VersionStages: string[]) =>
    client.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString, VersionStages }));
  await put(value, ['FLEAPO_STAGED']);
  const stages = h.sm.stages(arn);
  await expect(put(value, ['AWSCURRENT'])).resolves.toMatchObject({ VersionId: token, VersionStages: ['FLEAPO_STAGED'] });
  expect(h.sm.stages(arn)).toEqual(stages); // ignored: AWSCURRENT did not move
  const other = hex();
  h.extraSecrets.push(other);
  await expect(put(other, ['FLEAPO_STAGED'])).rejects.toMatchObject({ name: 'ResourceExistsException' });
  expect(h.sm.stages(arn)).toEqual(stages);
  expect(await versionIds(arn)).toContain(token);
  client.destroy();
});

test('no secret value in output', () => {
  expect(h.leaks()).toEqual([]);
});
