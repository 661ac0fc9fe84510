import '../support/test-env';
import { ECSClient } from '@aws-sdk/client-ecs';
import { Pool } from 'pg';
import { handler as rotationHandler } from '../../lambda/database-url-rotation';
import { handler as retirementHandler } from '../../lambda/database-role-retirement';
import { rollCurrent } from '../../runtime/roll-current';
import { SecretStore } from '../../runtime/secret-store';
import { deploymentEvent, invoker, scheduledEvent } from '../support/events';
import type { FakeTask } from '../support/fake-ecs';
import { urlLogsIn } from '../support/postgres-server';
import { BASE_ROLE, recordingErrors, RotationHarness } from '../support/rotation-harness';

/**
 * DATABASE_URL rotation and retirement with the service under continuous load: every "task" of the ECS double opens
 * a pg pool with the DATABASE_URL it read when it started (never refreshed), and a loop keeps querying through the
 * pools of the running tasks while deployments overlap, fail, roll back and a standalone job runs. No query may fail;
 * the old role is retired only once ECS shows the new value rolled out everywhere and pg_stat_activity the switch.
 */
const h = new RotationHarness();
const rotate = invoker(rotationHandler);
const retire = async (event: unknown) => (await recordingErrors(h, () => retirementHandler(event))).outcome;
const tick = () => retire(scheduledEvent());
const metric = (name: string) => h.capture.jsonLines().filter((l) => name in l && '_aws' in l).length;
const userOf = (url: string) => /^postgres:\/\/([^:]+):/.exec(url)?.[1];
let arn = '';
const pools = new Map<string, Pool>();
const load = { queries: 0, failures: 0, running: false };
let loop: Promise<void> | undefined;

function startTask(task: FakeTask): void {
  const url = task.secrets.DATABASE_URL?.value;
  if (url === undefined || !url.startsWith('postgres://')) return; // before the first rotation: no usable URL
  const pool = new Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  pools.set(task.taskArn, pool);
}

function stopTask(task: FakeTask): void {
  const pool = pools.get(task.taskArn);
  pools.delete(task.taskArn);
  // Like ECS's SIGTERM and stop timeout: in-flight queries finish, then the connections close.
  if (pool) setTimeout(() => void pool.end().catch(() => undefined), 100);
}

async function queryLoop(): Promise<void> {
  while (load.running) {
    const live = [...pools.values()];
    await Promise.all(
      live.map(async (pool) => {
        load.queries += 1;
        try {
          const r = await pool.query('SELECT name FROM items WHERE id = 1');
          if (r.rows[0]?.name !== 'one') throw new Error('wrong row');
        } catch {
          load.failures += 1;
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until pg_stat_activity reflects the pools (connections open lazily). */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 400));
}

beforeAll(async () => {
  await h.start();
  await h.createBaseRole();
  arn = h.sm.createSecret('fleapo/test/database-url-load', h.bootstrapJson());
  process.env.SECRET_ARN = arn;
  h.ecs.readSecrets = () => ({ DATABASE_URL: { versionId: h.sm.versionIdOf(arn, 'AWSCURRENT'), value: h.sm.value(arn, 'AWSCURRENT') } });
  h.ecs.onTaskStarted = startTask;
  h.ecs.onTaskStopped = stopTask;
});
afterAll(async () => {
  load.running = false;
  await loop;
  await Promise.all([...pools.values()].map((p) => p.end().catch(() => undefined)));
  await new Promise((r) => setTimeout(r, 200));
  await h.stop();
});

test('first rotation: the bootstrap credentials become a URL; tasks start with it and the load begins', async () => {
  expect(await h.rotate(arn, rotate)).toMatchObject({ ok: true });
  h.ecs.completeDeployment();
  expect(pools.size).toBe(2);
  load.running = true;
  loop = queryLoop();
  await settle();
  expect(await tick()).toBe('nothing-to-retire');
});

test('an overlapping deploy and an old standalone job: retirement waits for the newer deployment and the job, then retires', async () => {
  const job = h.ecs.runTask('migration'); // started before the switch: holds the old URL
  const oldUrl = h.sm.value(arn)!;
  expect(await h.rotate(arn, rotate)).toMatchObject({ ok: true });
  expect(userOf(h.sm.value(arn)!)).toBe(`${BASE_ROLE}_clone`);
  const ours = h.ecs.primary.id;
  h.ecs.startTasks(ours, 1); // the rollout had begun...
  const deploy = h.ecs.deployNewRevision(); // ...when a code deploy superseded it
  await settle();
  expect(await retire(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploy.id))).toBe('waiting');
  const blocked = metric('RetirementBlocked');
  h.ecs.completeDeployment(deploy.id);
  await settle();
  expect(await retire(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', deploy.id))).toBe('blocked');
  expect(metric('RetirementBlocked')).toBe(blocked + 1);
  expect(await urlLogsIn(oldUrl)).toBe(true); // the job may still open connections with it

  h.ecs.stopTask(job.taskArn);
  await settle();
  expect(await tick()).toBe('retired');
  expect(await urlLogsIn(oldUrl)).toBe(false);
  expect(h.ecs.deployment(ours).rolloutState).toBe('IN_PROGRESS'); // the rotation's own deployment never completed
  // Every running task holds the current version.
  const current = h.sm.versionIdOf(arn, 'AWSCURRENT');
  expect(h.ecs.liveTasks.every((t) => t.secrets.DATABASE_URL?.versionId === current)).toBe(true);
});

test('a rollout that fails and rolls back: refused, both roles stay valid; --roll-current rolls again and the retirement follows', async () => {
  const cloneUrl = h.sm.value(arn)!;
  expect(await h.rotate(arn, rotate)).toMatchObject({ ok: true });
  const newUrl = h.sm.value(arn)!;
  expect(userOf(newUrl)).toBe(BASE_ROLE);
  const ours = h.ecs.primary.id;
  h.ecs.startTasks(ours, 1);
  await settle();
  const refused = metric('RetirementRefused');
  const rollback = h.ecs.failDeployment(ours)!; // the failed deployment is gone at the next poll
  await settle();
  expect(await retire(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_FAILED', ours))).toBe('refused');
  h.ecs.completeDeployment(rollback.id);
  expect(await tick()).toBe('refused');
  expect(metric('RetirementRefused')).toBe(refused + 2);
  expect(await urlLogsIn(cloneUrl)).toBe(true);
  expect(await urlLogsIn(newUrl)).toBe(true);

  const ecs = new ECSClient({});
  const plan = await rollCurrent(new SecretStore(h.sm.sdkClient()), ecs, arn, { cluster: h.ecs.clusterArn, service: h.ecs.serviceArn });
  ecs.destroy();
  expect(plan.actions.join('\n')).toContain('started ECS deployment');
  expect(await tick()).toBe('waiting');
  h.ecs.completeDeployment();
  await settle();
  expect(await tick()).toBe('retired');
  expect(await urlLogsIn(cloneUrl)).toBe(false);
  expect(await urlLogsIn(newUrl)).toBe(true);
});

test('under load the whole time: no query failed', async () => {
  load.running = false;
  await loop;
  expect(load.queries).toBeGreaterThan(100);
  expect(load.failures).toBe(0);
});

test('no secret value in any log line or error message', () => {
  expect(h.leaks()).toEqual([]);
});
