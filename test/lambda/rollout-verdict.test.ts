import {
  ObservedDeployment,
  ObservedTask,
  rollbackOfVanishedDeployment,
  rolloutStartFromAws,
  rolloutVerdict,
  startedBefore,
} from '../../runtime/rollout-verdict';
import { TAG_ROLLOUT_CREATED_AT, TAG_ROLLOUT_VERSION } from '../../catalog/tags';
import { recordedRolloutStart } from '../../runtime/rollout-tags';

/** The pure predicate: "has the value current since T been rolled out everywhere?", from ECS's own report. */
const T = new Date('2026-01-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T.getTime() + seconds * 1000);
const dep = (id: string, createdS: number, rolloutState: string, status = 'PRIMARY', rolloutStateReason?: string): ObservedDeployment => ({
  id,
  createdAt: at(createdS),
  rolloutState,
  status,
  rolloutStateReason,
});
const task = (id: string, createdS: number, group = 'service:api', lastStatus = 'RUNNING'): ObservedTask => ({
  taskArn: `arn:task/${id}`,
  group,
  createdAt: at(createdS),
  startedAt: at(createdS + 1),
  lastStatus,
});

test("the rotation's own deployment completed and only new tasks run: rolled out", () => {
  expect(rolloutVerdict(T, 'api', [dep('d1', 0, 'COMPLETED')], [task('a', 5), task('b', 6)])).toEqual({
    state: 'rolled-out',
    deploymentId: 'd1',
  });
});

test("an overlapping deploy: the rotation's deployment never completes and vanishes; the newer one carries the value", () => {
  expect(
    rolloutVerdict(
      T,
      'api',
      [dep('d2', 30, 'IN_PROGRESS'), dep('d1', 0, 'IN_PROGRESS', 'ACTIVE'), dep('d0', -600, 'COMPLETED', 'ACTIVE')],
      [task('old', -500), task('n', 10)],
    ),
  ).toEqual({
    state: 'in-progress',
    deploymentIds: ['d2', 'd1'],
  });
  expect(rolloutVerdict(T, 'api', [dep('d2', 30, 'COMPLETED')], [task('n1', 40), task('n2', 41)])).toEqual({
    state: 'rolled-out',
    deploymentId: 'd2',
  });
});

test('a deployment created before T proves nothing, even COMPLETED and PRIMARY', () => {
  expect(rolloutVerdict(T, 'api', [dep('d0', -1, 'COMPLETED')], [task('old', -1)])).toMatchObject({ state: 'not-rolled' });
  expect(rolloutVerdict(T, 'api', [dep('d0', -1, 'COMPLETED')], [])).toMatchObject({ state: 'not-rolled' });
  expect(rolloutVerdict(T, 'api', [], [])).toMatchObject({ state: 'not-rolled' });
});

test('a failed deployment, its rollback (in progress, then completed with the old tasks), and the failed one gone', () => {
  const old = [task('o1', -500), task('o2', -400)];
  expect(
    rolloutVerdict(
      T,
      'api',
      [
        dep('d1', 0, 'FAILED', 'ACTIVE'),
        dep('rb', 60, 'IN_PROGRESS', 'PRIMARY', 'ECS deployment circuit breaker: rolling back to deploymentId d0.'),
      ],
      old,
    ),
  ).toMatchObject({
    state: 'failed',
    reason: expect.stringContaining('d1 FAILED'),
  });
  // The failed deployment already vanished from DescribeServices: the rollback's reason says it.
  expect(
    rolloutVerdict(
      T,
      'api',
      [dep('rb', 60, 'IN_PROGRESS', 'PRIMARY', 'ECS deployment circuit breaker: rolling back to deploymentId d0.')],
      old,
    ),
  ).toMatchObject({
    state: 'failed',
    reason: expect.stringContaining('rollback'),
  });
  // The rollback completed (reason no longer says rollback) and kept the old tasks: still failed, never "rolled out".
  expect(rolloutVerdict(T, 'api', [dep('rb', 60, 'COMPLETED', 'PRIMARY', 'ECS deployment rb completed.')], old)).toMatchObject({
    state: 'failed',
    reason: expect.stringContaining('2 service task(s) started before'),
  });
});

test('a standalone task of the family created before T keeps the verdict at old-tasks until it stops', () => {
  const job = task('migrate', -30, 'family:web');
  expect(rolloutVerdict(T, 'api', [dep('d1', 0, 'COMPLETED')], [task('n', 5), job])).toEqual({
    state: 'old-tasks',
    deploymentId: 'd1',
    taskArns: ['arn:task/migrate'],
  });
  expect(rolloutVerdict(T, 'api', [dep('d1', 0, 'COMPLETED')], [task('n', 5), { ...job, lastStatus: 'STOPPED' }])).toMatchObject({
    state: 'rolled-out',
  });
  expect(rolloutVerdict(T, 'api', [dep('d1', 0, 'COMPLETED')], [task('n', 5), task('late-job', 20, 'family:web')])).toMatchObject({
    state: 'rolled-out',
  });
});

test('a task created before T but started after it may have read the old value; a task of unknown age counts as old', () => {
  expect(startedBefore({ taskArn: 'x', createdAt: at(-1), startedAt: at(1) }, T)).toBe(true);
  expect(startedBefore({ taskArn: 'x', createdAt: at(0) }, T)).toBe(false);
  expect(startedBefore({ taskArn: 'x', startedAt: at(1) }, T)).toBe(false);
  expect(startedBefore({ taskArn: 'x' }, T)).toBe(true);
  expect(
    rolloutVerdict(T, 'api', [dep('d1', 0, 'COMPLETED')], [{ taskArn: 'x', group: 'family:web', lastStatus: 'DEACTIVATING' }]),
  ).toMatchObject({ state: 'old-tasks' });
});

test('the rollout record: T only for the version it names', () => {
  const tags = { [TAG_ROLLOUT_VERSION]: 'v2', [TAG_ROLLOUT_CREATED_AT]: T.toISOString() };
  expect(recordedRolloutStart(tags, 'v2')).toEqual(T);
  expect(recordedRolloutStart(tags, 'v3')).toBeUndefined();
  expect(recordedRolloutStart({ [TAG_ROLLOUT_VERSION]: 'v2' }, 'v2')).toBeUndefined();
  expect(recordedRolloutStart({ ...tags, [TAG_ROLLOUT_CREATED_AT]: 'garbage' }, 'v2')).toBeUndefined();
});

test('rolloutStartFromAws: the recorded start only when AWS backs it, else the oldest time ECS reports, else a problem', () => {
  const at = (ms: number) => new Date(T.getTime() + ms);
  const record = { versionId: 'v2', deploymentId: 'd1', createdAt: T };
  const d = (id: string, ms: number, status = 'PRIMARY', rolloutState = 'IN_PROGRESS'): ObservedDeployment => ({
    id,
    status,
    rolloutState,
    createdAt: at(ms),
  });
  expect(rolloutStartFromAws(record, at(-5), [d('d0', -10, 'ACTIVE', 'COMPLETED'), d('d1', 0)])).toEqual({ since: T });
  expect(rolloutStartFromAws(record, at(1), [d('d1', 0)])).toMatchObject({
    problem: expect.stringContaining('earlier than the CreatedDate'),
  });
  expect(rolloutStartFromAws(record, undefined, [d('d1', 0)])).toMatchObject({ problem: expect.stringContaining('no CreatedDate') });
  expect(rolloutStartFromAws(record, at(-5), [d('d1', 3)])).toMatchObject({ problem: expect.stringContaining('not at the recorded') });
  // Gone: every live deployment created since T, the oldest one's time is used (never the record's).
  expect(rolloutStartFromAws(record, at(-5), [d('d2', 7, 'ACTIVE', 'COMPLETED'), d('d3', 9)])).toEqual({ since: at(7) });
  expect(rolloutStartFromAws(record, at(-5), [d('d0', -10, 'INACTIVE', 'COMPLETED'), d('d2', 7, 'PRIMARY', 'COMPLETED')])).toEqual({
    since: at(7),
  });
  expect(rolloutStartFromAws(record, at(-5), [d('d0', -10, 'ACTIVE', 'COMPLETED'), d('d2', 7)])).toMatchObject({
    problem: expect.stringContaining('ECS does not report the recorded deployment d1'),
  });
  expect(rolloutStartFromAws(record, at(-5), [])).toMatchObject({ problem: expect.stringContaining('ECS does not report') });
  expect(rolloutStartFromAws({ ...record, deploymentId: undefined }, at(-5), [d('d1', 0)])).toEqual({ since: T });
});

test('rollbackOfVanishedDeployment: the recorded deployment gone and a rollback created since the record and the version: failed; else nothing', () => {
  const ms = (n: number) => new Date(T.getTime() + n);
  const record = { versionId: 'v2', deploymentId: 'd1', createdAt: T };
  const rollback = (id: string, n: number, status = 'PRIMARY'): ObservedDeployment => ({
    id,
    status,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: 'ECS deployment circuit breaker: rolling back to deploymentId d0.',
    createdAt: ms(n),
  });
  const previous: ObservedDeployment = { id: 'd0', status: 'ACTIVE', rolloutState: 'COMPLETED', createdAt: ms(-10) };
  // replaces-tasks: a new rollback deployment next to the previous one; rolloutStartFromAws cannot back the record.
  expect(rolloutStartFromAws(record, ms(-5), [previous, rollback('d9', 7)])).toMatchObject({ problem: expect.any(String) });
  expect(rollbackOfVanishedDeployment(record, ms(-5), [previous, rollback('d9', 7)])).toEqual({
    state: 'failed',
    reason: expect.stringContaining('deployment d1 is no longer reported and deployment d9 is a rollback'),
  });
  // Not this: the recorded deployment still reported; a rollback from before the record or the version; an INACTIVE
  // one; no reason of a rollback; no CreatedDate from Secrets Manager.
  expect(rollbackOfVanishedDeployment(record, ms(-5), [rollback('d1', 0), rollback('d9', 7)])).toBeUndefined();
  expect(rollbackOfVanishedDeployment(record, ms(-5), [{ ...previous, ...rollback('d0', -10) }])).toBeUndefined(); // resumes-previous
  expect(rollbackOfVanishedDeployment(record, ms(8), [previous, rollback('d9', 7)])).toBeUndefined();
  expect(rollbackOfVanishedDeployment(record, ms(-5), [previous, rollback('d9', 7, 'INACTIVE')])).toBeUndefined();
  expect(rollbackOfVanishedDeployment(record, ms(-5), [previous, { ...rollback('d9', 7), rolloutStateReason: undefined }])).toBeUndefined();
  expect(rollbackOfVanishedDeployment(record, undefined, [previous, rollback('d9', 7)])).toBeUndefined();
});
