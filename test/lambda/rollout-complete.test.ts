import { rolloutComplete, type RolloutDeployment, type RolloutTask } from '../../lambda/rotation/rollout-complete';

const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const primary = (over: Partial<RolloutDeployment> = {}): RolloutDeployment => ({ id: 'ecs-svc/2', status: 'PRIMARY', rolloutState: 'COMPLETED', createdAt: T(10), ...over });
const task = (startedAt: Date | undefined, lastStatus = 'RUNNING'): RolloutTask => ({ taskArn: `t-${startedAt?.getTime()}`, lastStatus, startedAt });

test.each<[string, string, RolloutDeployment[], RolloutTask[], boolean]>([
  ['the recorded deployment completed, alone, every task started after it was created', 'ecs-svc/2', [primary()], [task(T(11)), task(T(12))], true],
  ['a task started exactly when it was created', 'ecs-svc/2', [primary()], [task(T(10))], true],
  ['stopped tasks of older deployments are ignored', 'ecs-svc/2', [primary()], [task(T(11)), task(T(1), 'STOPPED')], true],
  ['the recorded deployment was replaced by a later completed one (vanished from DescribeServices)', 'ecs-svc/1', [primary()], [task(T(11))], true],
  ['still in progress', 'ecs-svc/2', [primary({ rolloutState: 'IN_PROGRESS' })], [task(T(11))], false],
  ['failed', 'ecs-svc/2', [primary({ rolloutState: 'FAILED' })], [task(T(11))], false],
  ['an older deployment is still listed (draining)', 'ecs-svc/2', [primary(), { id: 'ecs-svc/1', status: 'ACTIVE', rolloutState: 'COMPLETED', createdAt: T(1) }], [task(T(11))], false],
  ['the recorded deployment is ACTIVE: a later one (or a rollback) is PRIMARY', 'ecs-svc/1', [primary({ rolloutState: 'IN_PROGRESS' }), { id: 'ecs-svc/1', status: 'ACTIVE', rolloutState: 'COMPLETED', createdAt: T(1) }], [task(T(11))], false],
  ['a running task started before the deployment was created', 'ecs-svc/2', [primary()], [task(T(11)), task(T(9))], false],
  ['a draining task (desired STOPPED, still RUNNING) started before', 'ecs-svc/2', [primary()], [task(T(11)), task(T(9), 'DEACTIVATING')], false],
  ['a task that has not started yet', 'ecs-svc/2', [primary()], [task(undefined, 'PENDING')], false],
  ['no PRIMARY deployment', 'ecs-svc/2', [], [], false],
  ['no creation time reported', 'ecs-svc/2', [primary({ createdAt: undefined })], [], false],
])('%s', (_, recorded, deployments, tasks, complete) => {
  const verdict = rolloutComplete(recorded, deployments, tasks);
  expect(verdict.complete).toBe(complete);
  if (!verdict.complete) expect(verdict.reason.length).toBeGreaterThan(10);
});
