import '../support/test-env';
import * as crypto from 'node:crypto';
import { handler } from '../../lambda/auth-secret-rotation';
import { TAG_ROLLOUT_CREATED_AT, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../../lambda/rotation/ecs-rollout';
import { invoker } from '../support/events';
import { RotationEvent } from '../support/fake-secrets-manager';
import { RotationHarness } from '../support/rotation-harness';

const h = new RotationHarness(false);
const rotate = invoker(handler);
let secretArn = '';

beforeAll(async () => {
  await h.start();
  secretArn = h.sm.createSecret('fleapo/test/auth-secret', crypto.randomBytes(64).toString('hex'));
});
afterAll(async () => {
  jest.restoreAllMocks();
  await h.stop();
});

test('AWSPENDING is 64 bytes of crypto.randomBytes as 128 lowercase hex, distinct each rotation; ECS rolls once per rotation', async () => {
  // The real module object (the lambda's `import * as crypto` reads through to it at call time).
  const cryptoModule: typeof crypto = require('node:crypto');
  const spy = jest.spyOn(cryptoModule, 'randomBytes');
  const values = new Set<string>();
  for (let i = 0; i < 3; i++) {
    spy.mockClear();
    const rollsBefore = h.ecs.rollCount;
    const result = await h.rotate(secretArn, rotate);
    expect(result).toMatchObject({ ok: true });
    const value = h.sm.value(secretArn)!;
    expect(value).toMatch(/^[0-9a-f]{128}$/);
    const sixtyFour = spy.mock.calls.findIndex(([size]) => size === 64);
    expect(sixtyFour).toBeGreaterThanOrEqual(0);
    expect((spy.mock.results[sixtyFour].value as Buffer).toString('hex') === value).toBe(true);
    values.add(value);
    expect(h.ecs.rollCount).toBe(rollsBefore + 1);
    expect(h.sm.tags(secretArn)).toEqual({
      [TAG_ROLLOUT_VERSION]: result.token,
      [TAG_ROLLOUT_DEPLOYMENT]: h.ecs.primary.id,
      // T: ECS's createdAt of that deployment, exactly as DescribeServices reports it.
      [TAG_ROLLOUT_CREATED_AT]: new Date(h.ecs.primary.createdAt).toISOString(),
    });
  }
  expect(values.size).toBe(3);
  spy.mockRestore();
});

test('UpdateService fails after AWSCURRENT moved: the retry still rolls the service, exactly once', async () => {
  const rollsBefore = h.ecs.rollCount;
  const failing = async (event: RotationEvent) => {
    if (event.Step === 'finishSecret') h.ecs.server.failNext('UpdateService');
    await rotate(event);
  };
  const failed = await h.rotate(secretArn, failing);
  expect(failed).toMatchObject({ ok: false, step: 'finishSecret' });
  expect(h.sm.versionIdOf(secretArn, 'AWSCURRENT')).toBe(failed.token); // AWSCURRENT moved, service not rolled
  expect(h.ecs.rollCount).toBe(rollsBefore);
  expect(h.sm.stages(secretArn)[failed.token]).toEqual(['AWSCURRENT', 'AWSPENDING']);

  expect(await h.rotate(secretArn, rotate, failed.token)).toMatchObject({ ok: true });
  expect(h.ecs.rollCount).toBe(rollsBefore + 1);
  expect(h.sm.tags(secretArn)[TAG_ROLLOUT_VERSION]).toBe(failed.token);
  expect(await h.rotate(secretArn, rotate, failed.token)).toMatchObject({ ok: true });
  expect(h.ecs.rollCount).toBe(rollsBefore + 1);
});

test('TagResource fails after the roll: the rotation completes, rolls once, and reports RolloutNotRecorded', async () => {
  const rollsBefore = h.ecs.rollCount;
  const failing = async (event: RotationEvent) => {
    if (event.Step === 'finishSecret') h.sm.server.failNext('TagResource');
    await rotate(event);
  };
  const result = await h.rotate(secretArn, failing);
  expect(result).toMatchObject({ ok: true });
  expect(h.sm.versionIdOf(secretArn, 'AWSCURRENT')).toBe(result.token);
  expect(h.ecs.rollCount).toBe(rollsBefore + 1);
  expect(h.sm.tags(secretArn)[TAG_ROLLOUT_VERSION]).not.toBe(result.token);
  const metric = h.capture.jsonLines().filter((l) => 'RolloutNotRecorded' in l && '_aws' in l);
  expect(metric).toHaveLength(1);
});

test('testSecret refuses a pending value of the wrong form, without a stage change', async () => {
  const arn = h.sm.createSecret('fleapo/test/auth-secret-2', crypto.randomBytes(64).toString('hex'));
  const result = await h.rotate(arn, async (event) => {
    if (event.Step === 'createSecret') {
      // Someone wrote a bad AWSPENDING by hand: not 128 lowercase hex characters.
      const { SecretsManagerClient, PutSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
      const client = new SecretsManagerClient({});
      await client.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: event.ClientRequestToken, SecretString: 'NOT-HEX-' + crypto.randomBytes(60).toString('hex'), VersionStages: ['AWSPENDING'] }));
      client.destroy();
    }
    await rotate(event);
  });
  expect(result).toMatchObject({ ok: false, step: 'testSecret' });
  if (!result.ok) expect(result.error.message).toBe(`Secret ${arn}: AWSPENDING is not 128 lowercase hex characters`);
  expect(h.sm.stages(arn)[result.token]).toEqual(['AWSPENDING']);
});

test('missing ECS env var is named at createSecret, before anything is staged, and AWSCURRENT stays', async () => {
  const saved = process.env.ECS_SERVICE;
  delete process.env.ECS_SERVICE;
  try {
    const currentBefore = h.sm.versionIdOf(secretArn, 'AWSCURRENT');
    const result = await h.rotate(secretArn, rotate);
    expect(result).toMatchObject({ ok: false, step: 'createSecret' });
    expect(h.sm.versionIdOf(secretArn, 'AWSCURRENT')).toBe(currentBefore);
    if (!result.ok) expect(result.error.message).toBe('Missing required environment variable ECS_SERVICE');
    process.env.ECS_SERVICE = saved;
    expect(await h.rotate(secretArn, rotate, result.token)).toMatchObject({ ok: true });
  } finally {
    process.env.ECS_SERVICE = saved;
  }
});

test('no AUTH_SECRET value appears in any log line or error message', () => {
  expect(h.sm.storedValues.length).toBeGreaterThan(5);
  expect(h.leaks()).toEqual([]);
});
