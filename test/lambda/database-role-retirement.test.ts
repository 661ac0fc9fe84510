import '../support/test-env';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { handler } from '../../lambda/database-role-retirement';
import { TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../../lambda/rotation/ecs-rollout';
import { deploymentEvent, scheduledEvent } from '../support/events';
import { recordingErrors, RotationHarness } from '../support/rotation-harness';

/** Retirement decisions that never reach the database (no PostgreSQL here: a DB call would fail). */
const h = new RotationHarness(false);
let arn = '';
const retire = (event: unknown) => recordingErrors(h, () => handler(event));
const metric = (name: string) => h.capture.jsonLines().filter((l) => name in l && '_aws' in l).length;

beforeAll(async () => {
  await h.start();
  process.env.MASTER_SECRET_ARN = h.sm.createSecret('fleapo/test/master', JSON.stringify({ username: 'postgres', password: 'unused-master-pw' }));
  arn = h.sm.createSecret('fleapo/test/database-url', 'postgres://app:unused-url-pw@127.0.0.1:1/fleapo'); // secretlint-disable-line -- test fixture, not a credential
  process.env.SECRET_ARN = arn;
  Object.assign(process.env, { DB_HOST: '127.0.0.1', DB_PORT: '1', DB_NAME: 'fleapo', DB_APP_USER: 'app' });
});
afterAll(() => h.stop());

test('ECS double: UpdateService starts a PRIMARY deployment, DescribeServices lists it (real SDK client)', async () => {
  const ecs = new ECSClient({});
  const before = h.ecs.rollCount;
  const out = await ecs.send(new UpdateServiceCommand({ cluster: h.ecs.clusterArn, service: h.ecs.serviceArn, forceNewDeployment: true }));
  const primary = out.service?.deployments?.find((d) => d.status === 'PRIMARY');
  expect(primary?.id).toMatch(/^ecs-svc\//);
  expect(primary?.rolloutState).toBe('IN_PROGRESS');
  expect(h.ecs.rollCount).toBe(before + 1);
  h.ecs.completeDeployment();
  const described = await ecs.send(new DescribeServicesCommand({ cluster: h.ecs.clusterArn, services: [h.ecs.serviceName] }));
  expect(described.services?.[0].deployments).toEqual([expect.objectContaining({ id: primary?.id, status: 'PRIMARY', rolloutState: 'COMPLETED' })]);
  await expect(ecs.send(new UpdateServiceCommand({ cluster: h.ecs.clusterArn, service: 'nope', forceNewDeployment: true }))).rejects.toMatchObject({
    name: 'ServiceNotFoundException',
  });
  ecs.destroy();
});

test('no rollout recorded, unsupported events and other services are ignored', async () => {
  await expect(retire(scheduledEvent())).resolves.toEqual({ outcome: 'ignored' });
  await expect(retire({ source: 'aws.s3', 'detail-type': 'Object Created' })).resolves.toEqual({ outcome: 'ignored' });
  await expect(retire(deploymentEvent('arn:aws:ecs:us-east-1:111111111111:service/fleapo/other', 'SERVICE_DEPLOYMENT_COMPLETED', 'ecs-svc/1'))).resolves.toEqual({
    outcome: 'ignored',
  });
});

test('an in-progress rollout waits (event and tick); a newer rotation without recorded rollout waits', async () => {
  const ecs = new ECSClient({});
  const out = await ecs.send(new UpdateServiceCommand({ cluster: h.ecs.clusterArn, service: h.ecs.serviceArn, forceNewDeployment: true }));
  ecs.destroy();
  const deploymentId = out.service!.deployments!.find((d) => d.status === 'PRIMARY')!.id!;
  const currentVersion = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
  const { TagResourceCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const sm = new SecretsManagerClient({});
  await sm.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: TAG_ROLLOUT_VERSION, Value: 'some-older-version' }, { Key: TAG_ROLLOUT_DEPLOYMENT, Value: deploymentId }] }));

  await expect(retire(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploymentId))).resolves.toEqual({ outcome: 'waiting' });
  await expect(retire(scheduledEvent())).resolves.toEqual({ outcome: 'waiting' });
  h.ecs.completeDeployment(deploymentId);
  // Completed, but the recorded rollout is not AWSCURRENT's version: do not touch AWSPREVIOUS's role.
  await expect(retire(scheduledEvent())).resolves.toEqual({ outcome: 'waiting' });
  await sm.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: TAG_ROLLOUT_VERSION, Value: currentVersion }] }));
  sm.destroy();
  // Now it would retire — but there is no AWSPREVIOUS: nothing to retire, recorded.
  await expect(retire(scheduledEvent())).resolves.toEqual({ outcome: 'nothing-to-retire' });
  await expect(retire(scheduledEvent())).resolves.toEqual({ outcome: 'already-retired' });
});

test('a failed deployment is refused with a RetirementRefused metric, without touching the database', async () => {
  const { TagResourceCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const sm = new SecretsManagerClient({});
  await sm.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: TAG_ROLLOUT_DEPLOYMENT, Value: 'ecs-svc/777' }] }));
  sm.destroy();
  const before = metric('RetirementRefused');
  await expect(retire(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_FAILED', 'ecs-svc/777'))).resolves.toEqual({ outcome: 'refused' });
  expect(metric('RetirementRefused')).toBe(before + 1);
  const errorLine = h.capture.jsonLines().find((l) => l.level === 'ERROR' && String(l.message).includes('rolled back'));
  expect(errorLine).toMatchObject({ deploymentId: 'ecs-svc/777', service: 'fleapo-secrets-rotation-test' });
});

test('missing SECRET_ARN is named', async () => {
  const saved = process.env.SECRET_ARN;
  delete process.env.SECRET_ARN;
  await expect(retire(scheduledEvent())).rejects.toThrow('Missing required environment variable SECRET_ARN');
  process.env.SECRET_ARN = saved;
});

test('no secret value in output', () => {
  expect(h.leaks()).toEqual([]);
});
