import '../support/test-env';
import * as crypto from 'node:crypto';
import { PutSecretValueCommand, SecretsManagerClient, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { handler } from '../../lambda/auth-secret-rotation';
import { isFreshRing, rekeyedTagValue, rekeyRequest } from '../../lambda/playbooks/auth-secret-playbook';
import { REKEY_REQUEST_MAX_AGE_MS, TAG_REKEY_REQUESTED, TAG_REKEYED_VERSION } from '../../catalog/tags';
import { invoker } from '../support/events';
import { RotationHarness } from '../support/rotation-harness';

/**
 * The emergency re-key (`fleapo-secrets contain AUTH_SECRET --sign-everyone-out`): under a recorded request the
 * rotation function stages a fresh ring (new current and next, no previous), and testSecret accepts a fresh ring only
 * for the rotation that made it under that request.
 */
const h = new RotationHarness(false);
const rotate = invoker(handler);
const hex = () => crypto.randomBytes(64).toString('hex');
type Ring = { current: string; next?: string; previous?: string };
const ring = (arn: string, stage = 'AWSCURRENT') => JSON.parse(h.sm.value(arn, stage)!) as Ring;
let sm: SecretsManagerClient;

beforeAll(async () => {
  await h.start();
  sm = new SecretsManagerClient({});
});
afterAll(async () => {
  sm.destroy();
  await h.stop();
});

const requestRekey = (arn: string, at = new Date()) =>
  sm.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: TAG_REKEY_REQUESTED, Value: at.toISOString() }] }));

/** A secret whose ring is {previous, current, next} (two rotations), the last rollout NOT complete. */
async function leakedRing(): Promise<string> {
  const arn = h.sm.createSecret(`fleapo/test/auth-secret-${crypto.randomBytes(3).toString('hex')}`, hex());
  expect(await h.rotate(arn, rotate)).toMatchObject({ ok: true });
  h.ecs.completeDeployment();
  expect(await h.rotate(arn, rotate)).toMatchObject({ ok: true });
  expect(ring(arn).previous).toBeDefined();
  return arn;
}

test('under a re-key request: a fresh ring with none of the leaked keys and no previous, at once (no wait for the last rollout), one roll', async () => {
  const arn = await leakedRing(); // its rollout is still in progress: a normal key step would be refused
  const leaked = ring(arn);
  await requestRekey(arn);
  const rolls = h.ecs.rollCount;
  const result = await h.rotate(arn, rotate);
  expect(result).toMatchObject({ ok: true });
  const fresh = ring(arn);
  expect(fresh.previous).toBeUndefined();
  for (const key of [fresh.current, fresh.next!]) expect(key).toMatch(/^[0-9a-f]{128}$/);
  expect([fresh.current, fresh.next].some((k) => [leaked.current, leaked.next, leaked.previous].includes(k))).toBe(false);
  expect(h.ecs.rollCount).toBe(rolls + 1);
  expect(h.sm.tags(arn)[TAG_REKEYED_VERSION]).toBe(rekeyedTagValue(h.sm.tags(arn)[TAG_REKEY_REQUESTED], result.token));
  h.ecs.completeDeployment();

  // The request is consumed: the next rotation is the normal key step again (nobody signed out twice).
  const next = await h.rotate(arn, rotate);
  expect(next).toMatchObject({ ok: true });
  expect(ring(arn)).toEqual({ current: fresh.next, next: ring(arn).next, previous: fresh.current });
  h.ecs.completeDeployment();
});

test('a stale request (older than the limit) or none: the normal step, which waits for the rollout', async () => {
  const arn = await leakedRing();
  await requestRekey(arn, new Date(Date.now() - REKEY_REQUEST_MAX_AGE_MS - 1000));
  const result = await h.rotate(arn, rotate);
  expect(result).toMatchObject({ ok: false, step: 'createSecret' });
  if (!result.ok) expect(result.error.message).toContain('refusing to rotate until the rollout of version');
});

test('a fresh ring written by hand is refused, even while a request is recorded: only the rotation that made it under the request may stage one', async () => {
  const arn = await leakedRing();
  h.ecs.completeDeployment();
  await requestRekey(arn);
  const value = JSON.stringify({ current: hex(), next: hex() });
  h.extraSecrets.push(value);
  const result = await h.rotate(arn, async (event) => {
    if (event.Step === 'createSecret') {
      await sm.send(
        new PutSecretValueCommand({
          SecretId: arn,
          ClientRequestToken: event.ClientRequestToken,
          SecretString: value,
          VersionStages: ['AWSPENDING'],
        }),
      );
    }
    await rotate(event);
  });
  // Refused as soon as the rotation sees it: it carries no pending marker of the rotation's (createSecret), so it is
  // never set, tested as the rotation's own or promoted.
  expect(result).toMatchObject({ ok: false, step: 'createSecret' });
  if (!result.ok) expect(result.error.message).toContain('was not created by this rotation');
  expect(h.sm.stages(arn)[result.token]).toEqual(['AWSPENDING']);
});

test('rekeyRequest and isFreshRing (pure)', () => {
  const now = new Date('2026-12-02T05:00:00.000Z');
  const at = '2026-12-02T04:50:00.000Z';
  expect(rekeyRequest({}, 't1', now)).toBeUndefined();
  expect(rekeyRequest({ [TAG_REKEY_REQUESTED]: at }, 't1', now)).toBe(at);
  expect(rekeyRequest({ [TAG_REKEY_REQUESTED]: 'yesterday' }, 't1', now)).toBeUndefined();
  expect(rekeyRequest({ [TAG_REKEY_REQUESTED]: '2026-12-02T06:00:00.000Z' }, 't1', now)).toBeUndefined(); // in the future
  expect(rekeyRequest({ [TAG_REKEY_REQUESTED]: '2026-12-02T04:00:00.000Z' }, 't1', now)).toBeUndefined(); // stale
  expect(rekeyRequest({ [TAG_REKEY_REQUESTED]: at, [TAG_REKEYED_VERSION]: `${at}/t0` }, 't1', now)).toBeUndefined(); // consumed
  expect(rekeyRequest({ [TAG_REKEY_REQUESTED]: at, [TAG_REKEYED_VERSION]: `${at}/t1` }, 't1', now)).toBe(at); // retry of t1
  expect(rekeyRequest({ [TAG_REKEY_REQUESTED]: at, [TAG_REKEYED_VERSION]: `2026-12-01T00:00:00.000Z/t0` }, 't1', now)).toBe(at);
  const [a, b, c, d, e] = [hex(), hex(), hex(), hex(), hex()];
  expect(isFreshRing({ current: a, next: b, previous: c }, { current: d, next: e })).toBe(true);
  expect(isFreshRing({ current: a, next: b, previous: c }, { current: d, next: e, previous: a })).toBe(false);
  for (const leakedKey of [a, b, c]) {
    expect(isFreshRing({ current: a, next: b, previous: c }, { current: leakedKey, next: e })).toBe(false);
    expect(isFreshRing({ current: a, next: b, previous: c }, { current: d, next: leakedKey })).toBe(false);
  }
  expect(isFreshRing({ current: a }, { current: d, next: d })).toBe(false);
});

test('no AUTH_SECRET value or key appears in any log line or error message', () => {
  const keys = h.sm.storedValues.flatMap((v) => (v.startsWith('{') ? Object.values(JSON.parse(v) as Record<string, string>) : [v]));
  h.extraSecrets.push(...keys);
  expect(h.leaks()).toEqual([]);
});
