import '../support/test-env';
import { handler as rotationHandler } from '../../lambda/database-url-rotation';
import { handler as retirementHandler } from '../../lambda/database-role-retirement';
import { CONTAIN_INPUT, parseRetirementTrigger } from '../../runtime/retirement-trigger';
import { TAG_RETIRED_DEPLOYMENT } from '../../catalog/tags';
import { invoker } from '../support/events';
import { urlLogsIn } from '../support/postgres-server';
import { BASE_ROLE, recordingErrors, RotationHarness } from '../support/rotation-harness';

/**
 * The contain request of the retirement function (`fleapo-secrets contain DATABASE_URL`), against the real
 * PostgreSQL: once the rotation's rollout is complete as ECS reports it, the leaked (previous) role is retired at once
 * and the sessions an attacker holds open on it are ended; the app's sessions on the new role are not touched.
 */
const h = new RotationHarness();
const rotate = invoker(rotationHandler);
const retire = (event: unknown) => recordingErrors(h, () => retirementHandler(event));
let secretArn = '';
const current = () => h.sm.value(secretArn, 'AWSCURRENT')!;

beforeAll(async () => {
  await h.start();
  await h.createBaseRole();
  secretArn = h.sm.createSecret('fleapo/test/database-url', h.bootstrapJson());
  process.env.SECRET_ARN = secretArn;
  expect(await h.rotate(secretArn, rotate)).toMatchObject({ ok: true });
  h.ecs.completeDeployment();
});
afterAll(() => h.stop());

test('only the explicit input is a contain request', () => {
  expect(parseRetirementTrigger(CONTAIN_INPUT)).toEqual({ kind: 'contain' });
  expect(parseRetirementTrigger({ fleapo: 'contain' })).toMatchObject({ kind: 'unsupported' });
  expect(parseRetirementTrigger({ fleapo: 'contain', terminateSessions: 'yes' })).toMatchObject({ kind: 'unsupported' });
});

test('the leaked role is retired as soon as the rollout completes, ending the sessions still open on it; the new role keeps its sessions', async () => {
  const leakedUrl = current();
  const attacker = await h.openSession(leakedUrl);
  const attackerErrors: Error[] = [];
  attacker.on('error', (e) => attackerErrors.push(e));
  const attacker2 = await h.openSession(leakedUrl);
  attacker2.on('error', () => undefined);

  const job = h.ecs.runTask('nightly-report'); // a standalone task started before the switch: it holds the old URL
  expect(await h.rotate(secretArn, rotate)).toMatchObject({ ok: true });
  const newUrl = current();
  expect(newUrl).not.toBe(leakedUrl);
  const app = await h.openSession(newUrl);

  // While the rollout is in progress: nothing is retired, nothing ended (old tasks may still use the old role).
  await expect(retire(CONTAIN_INPUT)).resolves.toEqual({ outcome: 'waiting' });
  expect((await attacker.query('SELECT 1 AS one')).rows[0].one).toBe(1);

  // The service rolled out, but the old standalone task still runs: blocked, nothing ended.
  h.ecs.completeDeployment();
  await expect(retire(CONTAIN_INPUT)).resolves.toEqual({ outcome: 'blocked' });
  expect((await attacker.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  h.ecs.stopTask(job.taskArn);

  const result = await retire(CONTAIN_INPUT);
  expect(result).toEqual({ outcome: 'retired', role: BASE_ROLE, terminatedSessions: 2 });
  await expect(attacker.query('SELECT 1')).rejects.toThrow();
  await expect(attacker2.query('SELECT 1')).rejects.toThrow();
  expect(await urlLogsIn(leakedUrl)).toBe(false); // NOLOGIN, no password
  expect((await app.query('SELECT name FROM items WHERE id = 1')).rows[0].name).toBe('one');
  expect(await urlLogsIn(newUrl)).toBe(true);
  expect(h.sm.tags(secretArn)[TAG_RETIRED_DEPLOYMENT]).toBe(h.ecs.primary.id);

  // Run again (a second contain after an interruption): already retired, nothing else ended.
  await expect(retire(CONTAIN_INPUT)).resolves.toEqual({ outcome: 'already-retired' });
  expect((await app.query('SELECT 1 AS one')).rows[0].one).toBe(1);
});

test('a failed rollout: the contain request refuses to retire (tasks may still hold the leaked URL) and ends nothing', async () => {
  const leakedUrl = current();
  const attacker = await h.openSession(leakedUrl);
  attacker.on('error', () => undefined);
  expect(await h.rotate(secretArn, rotate)).toMatchObject({ ok: true });
  h.ecs.failDeployment(h.ecs.primary.id, { visibleForPolls: 1000 });
  await expect(retire(CONTAIN_INPUT)).resolves.toEqual({ outcome: 'refused' });
  expect((await attacker.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  expect(await urlLogsIn(leakedUrl)).toBe(true);
});

test('no secret value in any log line or error message', () => {
  expect(h.leaks()).toEqual([]);
});
