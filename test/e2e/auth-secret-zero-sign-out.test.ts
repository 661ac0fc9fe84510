import '../support/test-env';
import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { handler } from '../../lambda/auth-secret-rotation';
import { handler as externalSecretHandler } from '../../lambda/external-secret-rotation';
import { STAGED_LABEL } from '../../catalog/labels';
import { parseAuthSecretRing } from '../../packages/better-auth-secret-ring/src';
import {
  CookieJar,
  instance,
  sessionUserOverHttp,
  sessionUserServerSide,
  sharedDatabase,
  signUp,
  type Instance,
} from '../../packages/better-auth-secret-ring/test/better-auth-harness';
import { invoker } from '../support/events';
import { fakeExternal } from '../support/external-fakes';
import type { FakeTask } from '../support/fake-ecs';
import type { RotationEvent } from '../support/fake-secrets-manager';
import { RotationHarness } from '../support/rotation-harness';
import { resourcesOfType, synthesizeApp } from '../infra/synthesized-app';

/*
 * The whole path: the synthesized task definition's `secrets`, resolved entry by entry against the Secrets Manager
 * double as ECS resolves them when a task starts; the real AUTH_SECRET rotation handler; real better-auth instances
 * started with the values each task received, serving side by side as a rolling deployment does; one user signed in
 * before the first rotation, whose requests alternate between every serving task at every moment.
 */

const h = new RotationHarness(false);
const rotateStep = invoker(handler);
const db = sharedDatabase();
let secretsEntries: { Name: string; ValueFrom: unknown }[] = [];
/** Logical id of each secret resource -> its ARN in the double. */
const secretArnByLogicalId = new Map<string, string>();
let authSecretArn = '';
let sm: SecretsManagerClient;

interface ServingTask {
  task: FakeTask;
  auth: Instance;
}
let serving: ServingTask[] = [];

beforeAll(async () => {
  await h.start();
  sm = h.sm.sdkClient();
  const template = synthesizeApp()['Fleapo-staging'];
  const taskDefinition = Object.values(resourcesOfType(template, 'AWS::ECS::TaskDefinition'))[0];
  const web = taskDefinition.Properties.ContainerDefinitions.find((c: { Name: string }) => c.Name === 'web');
  secretsEntries = web.Secrets;
  // Every secret of the stack, created in the double with a first value of the generated form.
  for (const [id, secret] of Object.entries(resourcesOfType(template, 'AWS::SecretsManager::Secret'))) {
    const generator = secret.Properties.GenerateSecretString;
    const first = secret.Properties.Name.endsWith('/auth-secret')
      ? randomBytes(64).toString('hex') // PasswordLength 128 over 0-9a-f (test/infra/secret-injection.test.ts)
      : generator.SecretStringTemplate
        ? JSON.stringify({
            ...JSON.parse(generator.SecretStringTemplate),
            [generator.GenerateStringKey]: randomBytes(24).toString('base64url'),
          })
        : randomBytes(16).toString('hex');
    const arn = h.sm.createSecret(secret.Properties.Name, first);
    secretArnByLogicalId.set(id, arn);
    if (secret.Properties.Name.endsWith('/auth-secret')) authSecretArn = arn;
  }
});
afterAll(async () => {
  sm.destroy();
  await h.stop();
});

/**
 * One `secrets` entry as ECS resolves it: `ARN[:json-key:version-stage:version-id]`, one GetSecretValue per entry;
 * a missing version, stage or JSON key fails the task's start.
 */
async function resolveEntry(valueFrom: unknown): Promise<string> {
  let arn: string;
  let suffix = '';
  if (valueFrom && typeof valueFrom === 'object' && 'Ref' in valueFrom) {
    arn = secretArnByLogicalId.get((valueFrom as { Ref: string }).Ref)!;
  } else if (valueFrom && typeof valueFrom === 'object' && 'Fn::Join' in valueFrom) {
    const [, parts] = (valueFrom as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    const ref = parts.find((p) => typeof p === 'object') as { Ref: string };
    arn = secretArnByLogicalId.get(ref.Ref)!;
    suffix = parts.filter((p) => typeof p === 'string').join('');
  } else {
    throw new Error(`unsupported valueFrom ${JSON.stringify(valueFrom)}`);
  }
  if (!arn) throw new Error(`valueFrom names no secret of the stack`);
  const [jsonKey, stage, versionId] = suffix.replace(/^:/, '').split(':');
  const out = await sm.send(
    new GetSecretValueCommand({ SecretId: arn, VersionStage: stage || undefined, VersionId: versionId || undefined }),
  );
  if (!jsonKey) return out.SecretString!;
  const value = (JSON.parse(out.SecretString!) as Record<string, unknown>)[jsonKey];
  if (typeof value !== 'string') throw new Error(`json-key ${jsonKey} does not exist: the task fails to start`);
  return value;
}

/** A task starts now: it resolves each of its `secrets` entries separately, then its app starts with them. */
async function startTask(deploymentId = h.ecs.primary.id): Promise<ServingTask> {
  const env: Record<string, string> = {};
  // Entries are resolved in parallel, each with its own request (ECS agent).
  await Promise.all(secretsEntries.map(async (entry) => (env[entry.Name] = await resolveEntry(entry.ValueFrom))));
  const [task] = h.ecs.startTasks(deploymentId, 1);
  const started = { task, auth: instance(db, parseAuthSecretRing(env.AUTH_SECRET)) };
  serving.push(started);
  return started;
}

function stopTask(t: ServingTask): void {
  h.ecs.stopTask(t.task.taskArn);
  serving = serving.filter((s) => s !== t);
}

const jar = new CookieJar();
let user = '';
let requests = 0;

/** The user's requests go to every serving task in turn (the load balancer), over HTTP and from server-side code. */
async function userIsSignedInEverywhere(moment: string): Promise<void> {
  for (const t of [...serving, ...serving.slice().reverse()]) {
    requests += 1;
    const lookup = requests % 2 === 0 ? sessionUserOverHttp : sessionUserServerSide;
    const seen = await lookup(t.auth, jar);
    if (seen !== user) throw new Error(`signed out at moment "${moment}" by a task started with version ${t.task.startedBy}`);
  }
}

/** A rolling deployment of the rotation's deployment: one new task, then one old task stopped, and so on. */
async function rollingDeployment(label: string): Promise<void> {
  const deploymentId = h.ecs.primary.id;
  const old = serving.filter((t) => t.task.startedBy !== deploymentId);
  for (const [i, t] of old.entries()) {
    await startTask(deploymentId);
    await userIsSignedInEverywhere(`${label}: new task ${i + 1} started, old and new serving`);
    stopTask(t);
    await userIsSignedInEverywhere(`${label}: old task ${i + 1} stopped`);
  }
  h.ecs.completeDeployment(deploymentId);
}

/** The rotation, one step at a time, with a task starting (and serving) between every two steps. */
function rotationWithTaskStarts(label: string, failAt?: string) {
  return async (event: RotationEvent) => {
    if (event.Step === failAt) throw new Error(`injected failure at ${failAt}`);
    await rotateStep(event);
    const extra = await startTask();
    await userIsSignedInEverywhere(`${label}: a task started after ${event.Step}`);
    stopTask(extra);
  };
}

/** The operator stages a new Stripe webhook signing secret (as the CLI does) and its rotation function runs. */
async function rotateAnotherSecret(arn: string): Promise<void> {
  const value = fakeExternal.webhookSecret();
  h.extraSecrets.push(value);
  await sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value, VersionStages: [STAGED_LABEL] }));
  const rolls = h.ecs.rollCount;
  process.env.EXTERNAL_SECRET_NAME = 'STRIPE_WEBHOOK_SECRET';
  try {
    expect(await h.rotate(arn, invoker(externalSecretHandler))).toMatchObject({ ok: true });
  } finally {
    delete process.env.EXTERNAL_SECRET_NAME;
  }
  expect(h.sm.value(arn) === value).toBe(true);
  expect(h.ecs.rollCount).toBe(rolls + 1);
}

test('the task definition reads AUTH_SECRET with one `secrets` entry (the whole ring in one read: no torn pair can exist)', () => {
  const fromAuth = secretsEntries.filter((e) => JSON.stringify(e.ValueFrom).includes('AUTHSECRET'));
  expect(fromAuth.map((e) => e.Name)).toEqual(['AUTH_SECRET']);
});

test('a user signed in before the first rotation is never refused: through publish and two key switches, failed and refused rotations, a rotation of another secret, and every rolling deployment', async () => {
  await startTask();
  await startTask();
  user = await signUp(serving[0].auth, jar);
  await userIsSignedInEverywhere('before any rotation (the generated single key)');

  // Rotation 1 publishes a next key; it fails once at testSecret (AWSPENDING left behind) and is retried.
  const failed = await h.rotate(authSecretArn, rotationWithTaskStarts('publish, failing', 'testSecret'));
  expect(failed).toMatchObject({ ok: false, step: 'testSecret' });
  await startTask();
  await userIsSignedInEverywhere('after a failed rotation (AWSPENDING present)');
  expect(await h.rotate(authSecretArn, rotationWithTaskStarts('publish, retried'), failed.token)).toMatchObject({ ok: true });
  const published = h.ecs.primary.id;
  await startTask(published); // the rollout of the published next key begins
  await userIsSignedInEverywhere('rollout of the published next key: its first new task');

  // While that rollout runs, another secret is rotated for real: the Stripe webhook signing secret's staged value,
  // by its own rotation function, which rolls the service again (UpdateService: a second deployment supersedes
  // the first, which never completes). AUTH_SECRET's versions are untouched.
  const authStages = h.sm.stages(authSecretArn);
  await rotateAnotherSecret([...secretArnByLogicalId.values()].find((a) => a.includes('stripe-webhook-secret'))!);
  expect(h.sm.stages(authSecretArn)).toEqual(authStages);
  expect(h.ecs.deployment(published)).toMatchObject({ status: 'ACTIVE', rolloutState: 'IN_PROGRESS' });
  await startTask();
  await userIsSignedInEverywhere('after a rotation of another secret');

  for (const round of [1, 2]) {
    // The switch to the published key is refused while the rollout of the current version is incomplete: the
    // deployment carrying it (the rotation's own, or the one that superseded it) is IN_PROGRESS, as ECS reports it.
    expect(h.ecs.primary.rolloutState).toBe('IN_PROGRESS');
    const refused = await h.rotate(authSecretArn, rotationWithTaskStarts(`switch ${round}, refused`));
    expect(refused).toMatchObject({ ok: false, step: 'createSecret' });
    await rollingDeployment(`switch ${round}: the rollout in progress completes`);
    await userIsSignedInEverywhere(`switch ${round}: refused while a rollout was in progress`);

    expect(await h.rotate(authSecretArn, rotationWithTaskStarts(`switch ${round}`), refused.token)).toMatchObject({ ok: true });
    await startTask(); // its rollout begins; the next round is attempted while it runs
    await userIsSignedInEverywhere(`switch ${round}: its rollout begins`);
  }
  await rollingDeployment('rollout of switch 2');
  await userIsSignedInEverywhere('after switch 2');

  // The cookie ends up signed with the ring's current key (plain better-auth with only that key accepts it).
  const current = parseAuthSecretRing(h.sm.value(authSecretArn)!).current;
  expect(await sessionUserOverHttp(instance(db, { plainSecret: current }), jar)).toBe(user);
  expect(requests).toBeGreaterThan(40);
});

test('no secret value appears in any log line or error message', () => {
  const keys = h.sm.storedValues.flatMap((v) =>
    v.startsWith('{"current"') ? Object.values(JSON.parse(v) as Record<string, string>) : [v],
  );
  h.extraSecrets.push(...keys);
  expect(h.leaks()).toEqual([]);
});
