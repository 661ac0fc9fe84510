/**
 * "Has the value that became AWSCURRENT at time T been rolled out everywhere?", decided only from what ECS reports:
 * deployment creation times and rollout states, task creation/start times and last statuses. Pure.
 *
 * Tasks read `secrets` once, when they start, so:
 * - a deployment created at or after T starts tasks that read the new value; its COMPLETED rollout means the
 *   service reached steady state with it (whichever deployment it is: the rotation's own, a code deploy that
 *   superseded it, or another secret's rollout);
 * - a task (of the service, or a standalone RunTask task of the same task definition family) created before T may
 *   hold the old value, even when it has no open connection at the moment.
 * Rolled out everywhere = some deployment created at/after T has COMPLETED and no task created before T is still
 * running (any last status but STOPPED). Nothing is inferred from which deployment is PRIMARY.
 */
import type { RolloutRecord } from './rollout-tags';

/** A rollout state reason or event reason that reports a circuit-breaker rollback. */
export function isRollback(reason: string): boolean {
  return /roll(ing|ed)?[\s-]?back/i.test(reason);
}

export interface ObservedDeployment {
  id: string;
  status?: string;
  rolloutState?: string;
  rolloutStateReason?: string;
  createdAt?: Date;
}

export interface ObservedTask {
  taskArn: string;
  /** `service:<name>` for tasks of a service, `family:<family>` (or a custom group) for RunTask tasks. */
  group?: string;
  lastStatus?: string;
  createdAt?: Date;
  startedAt?: Date;
}

export type RolloutVerdict =
  /** Done: `deploymentId` (created at/after T) completed and no task from before T runs. */
  | { state: 'rolled-out'; deploymentId: string }
  /** A deployment created at/after T is still rolling out: wait. */
  | { state: 'in-progress'; deploymentIds: string[] }
  /** A deployment created at/after T failed or rolled back to tasks that hold the old value. */
  | { state: 'failed'; reason: string }
  /** The service rolled out, but standalone tasks created before T still run (they may hold the old value). */
  | { state: 'old-tasks'; deploymentId: string; taskArns: string[] }
  /**
   * No deployment of the service was created at or after T: the value never rolled. `recordMismatch`: the rollout
   * record on the secret does not fit what AWS reports (rolloutStartFromAws), so nothing is believed rolled out.
   */
  | { state: 'not-rolled'; reason: string; recordMismatch?: true };

const time = (d: Date | undefined) => d?.getTime();

/** A task that may have read its secrets before T: created (else started) before T, or of unknown age. */
export function startedBefore(task: ObservedTask, since: Date): boolean {
  const at = time(task.createdAt) ?? time(task.startedAt);
  return at === undefined || at < since.getTime();
}

export function rolloutVerdict(since: Date, serviceName: string, deployments: ObservedDeployment[], tasks: ObservedTask[]): RolloutVerdict {
  const T = since.getTime();
  const old = tasks.filter((t) => t.lastStatus !== 'STOPPED' && startedBefore(t, since));
  const oldService = old.filter((t) => t.group === `service:${serviceName}`);
  const after = deployments
    .filter((d) => (time(d.createdAt) ?? -Infinity) >= T)
    .sort((a, b) => (time(b.createdAt) ?? 0) - (time(a.createdAt) ?? 0)); // newest first
  const completed = after.filter((d) => d.rolloutState === 'COMPLETED');
  const newestCompleted = completed.find((d) => d.status === 'PRIMARY') ?? completed[0];

  if (newestCompleted !== undefined && old.length === 0) return { state: 'rolled-out', deploymentId: newestCompleted.id };

  const failed = after.find((d) => d.rolloutState === 'FAILED');
  if (failed)
    return {
      state: 'failed',
      reason: `deployment ${failed.id} FAILED${failed.rolloutStateReason ? ` (${failed.rolloutStateReason})` : ''}`,
    };
  const rollback = after.find((d) => isRollback(d.rolloutStateReason ?? ''));
  if (rollback) return { state: 'failed', reason: `deployment ${rollback.id} is a rollback (${rollback.rolloutStateReason})` };
  if (newestCompleted !== undefined && oldService.length > 0) {
    // A completed deployment drains every older one: service tasks from before T still running under a deployment
    // created after T were kept by it, i.e. it rolled back to the previous task definition's tasks.
    return {
      state: 'failed',
      reason: `deployment ${newestCompleted.id} completed with ${oldService.length} service task(s) started before the value became current (a rollback to the previous tasks)`,
    };
  }
  const inProgress = after.filter((d) => d.rolloutState === 'IN_PROGRESS');
  if (inProgress.length > 0) return { state: 'in-progress', deploymentIds: inProgress.map((d) => d.id) };
  if (newestCompleted !== undefined) return { state: 'old-tasks', deploymentId: newestCompleted.id, taskArns: old.map((t) => t.taskArn) };
  return { state: 'not-rolled', reason: `no deployment of ${serviceName} was created at or after ${since.toISOString()}` };
}

/** One line for logs and the CLI (ids, states and counts; never a value). */
export function describeVerdict(verdict: RolloutVerdict): string {
  switch (verdict.state) {
    case 'rolled-out':
      return `deployment ${verdict.deploymentId} completed and no task from before the value became current is running`;
    case 'in-progress':
      return `deployment(s) ${verdict.deploymentIds.join(', ')} in progress`;
    case 'failed':
    case 'not-rolled':
      return verdict.reason;
    case 'old-tasks':
      return `deployment ${verdict.deploymentId} completed, but ${verdict.taskArns.length} task(s) started before the value became current still run: ${verdict.taskArns.join(', ')}`;
  }
}

/** The start a verdict may use, or why the record does not fit what AWS reports. */
export type CheckedRolloutStart = { since: Date } | { problem: string };

/**
 * The rollout start T to judge from, taken from what AWS reports, never from the record alone (whoever can tag the
 * secret could write an earlier time, another service's deployment, or an id that never existed). Pure.
 * - T is never earlier than the AWSCURRENT version's CreatedDate (Secrets Manager): the value cannot have been
 *   current, let alone rolled, before its version existed.
 * - The recorded deployment, when DescribeServices still reports it, must have been created exactly at T.
 * - When it is no longer reported, only a newer deployment that completed can have drained it, so every deployment
 *   still reported was created at or after T: then T is the oldest of those creation times (ECS's own, never earlier
 *   than the recorded deployment's), which can only make the verdict wait longer, never say rolled out sooner.
 * Anything else does not fit: the caller treats the value as not rolled out and raises RolloutNotRecorded, unless
 * the recorded deployment failed and the circuit breaker's rollback is reported (rollbackOfVanishedDeployment): failed.
 */
export function rolloutStartFromAws(
  record: RolloutRecord,
  versionCreatedAt: Date | undefined,
  deployments: ObservedDeployment[],
): CheckedRolloutStart {
  const T = record.createdAt.getTime();
  const iso = (d: Date) => d.toISOString();
  if (versionCreatedAt === undefined) return { problem: `Secrets Manager reports no CreatedDate for version ${record.versionId}` };
  if (T < versionCreatedAt.getTime()) {
    return {
      problem: `the recorded rollout start ${iso(record.createdAt)} is earlier than the CreatedDate ${iso(versionCreatedAt)} of version ${record.versionId}`,
    };
  }
  const recorded = record.deploymentId === undefined ? undefined : deployments.find((d) => d.id === record.deploymentId);
  if (recorded !== undefined) {
    if (time(recorded.createdAt) !== T) {
      const at = recorded.createdAt === undefined ? 'an unknown time' : iso(recorded.createdAt);
      return { problem: `ECS reports deployment ${recorded.id} created at ${at}, not at the recorded ${iso(record.createdAt)}` };
    }
    return { since: record.createdAt };
  }
  // INACTIVE ones (if ECS still lists any) were drained already: they say nothing about where the value runs.
  const live = deployments.filter((d) => d.status !== 'INACTIVE');
  const oldest = Math.min(...live.map((d) => time(d.createdAt) ?? -Infinity));
  if (live.length === 0 || oldest < T) {
    return {
      problem:
        `ECS does not report the recorded deployment ${record.deploymentId ?? '(none recorded)'} for this service, ` +
        `and not every deployment it reports was created since ${iso(record.createdAt)} (as one that superseded it would have been)`,
    };
  }
  return { since: new Date(oldest) };
}

/**
 * A circuit-breaker rollback of a recorded rollout whose deployment ECS no longer reports: a deployment created at or
 * after both the recorded start and the version's CreatedDate, whose reason says it rolls back. A FAILED deployment
 * leaves DescribeServices without any newer deployment completing (docs/aws-facts.md, the doubles' RollbackModel), so
 * rolloutStartFromAws cannot back the record; the rollout failed all the same, and that is the verdict (never
 * `rolled-out`, whatever the record says), not RolloutNotRecorded. Undefined when the recorded deployment is still
 * reported or no such rollback is. Pure.
 */
export function rollbackOfVanishedDeployment(
  record: RolloutRecord,
  versionCreatedAt: Date | undefined,
  deployments: ObservedDeployment[],
): RolloutVerdict | undefined {
  if (versionCreatedAt === undefined) return undefined;
  if (record.deploymentId !== undefined && deployments.some((d) => d.id === record.deploymentId)) return undefined;
  const from = Math.max(record.createdAt.getTime(), versionCreatedAt.getTime());
  const rollback = deployments.find(
    (d) => d.status !== 'INACTIVE' && (time(d.createdAt) ?? -Infinity) >= from && isRollback(d.rolloutStateReason ?? ''),
  );
  if (rollback === undefined) return undefined;
  return {
    state: 'failed',
    reason: `deployment ${record.deploymentId ?? '(none recorded)'} is no longer reported and deployment ${rollback.id} is a rollback (${rollback.rolloutStateReason})`,
  };
}
