/**
 * Reading and following a rollout through ECS (I/O around the pure rolloutVerdict): used by the operator CLI to
 * decide when an old key may be revoked, and by the retirement function. Reusable by any later CLI.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EcsTarget } from './ecs-service';
import { observeService, observeTasks, type ObservedService } from './ecs-service';
import {
  describeVerdict,
  type ObservedTask,
  rollbackOfVanishedDeployment,
  RolloutVerdict,
  rolloutStartFromAws,
  rolloutVerdict,
} from './rollout-verdict';
import type { RolloutRecord } from './rollout-tags';

/** The verdict for the value current since `since`, from one DescribeServices and the family's tasks. */
export async function currentRolloutVerdict(ecs: ECSClient, target: EcsTarget, since: Date): Promise<RolloutVerdict> {
  const service = await observeService(ecs, target);
  const tasks = await observeTasks(ecs, target.cluster, service.families);
  return rolloutVerdict(since, service.serviceName, service.deployments, tasks);
}

/** What a verdict on a recorded rollout starts from: the record on the secret and the version's CreatedDate from Secrets Manager. */
export interface RecordedRolloutStart {
  record: RolloutRecord;
  versionCreatedAt: Date | undefined;
}

/**
 * The verdict for a recorded rollout, from what AWS reports (rolloutStartFromAws): a record that does not fit is
 * `not-rolled` with `recordMismatch`, and `onRecordMismatch` hears why (the Lambda callers raise RolloutNotRecorded),
 * unless ECS reports a rollback of the vanished recorded deployment (rollbackOfVanishedDeployment): `failed`.
 */
export async function verifiedRolloutVerdict(
  ecs: ECSClient,
  target: EcsTarget,
  start: RecordedRolloutStart,
  onRecordMismatch: (problem: string) => void = () => undefined,
): Promise<RolloutVerdict> {
  const service = await observeService(ecs, target);
  const checked = checkedRolloutStart(start, service);
  if ('verdict' in checked) {
    if (checked.mismatch !== undefined) onRecordMismatch(checked.mismatch);
    return checked.verdict;
  }
  const tasks = await observeTasks(ecs, target.cluster, service.families);
  return rolloutVerdict(checked.since, service.serviceName, service.deployments, tasks);
}

/**
 * Pure: the start a recorded rollout is judged from (rolloutStartFromAws), or the verdict when the record does not
 * fit: `failed` when ECS reports a rollback of the vanished recorded deployment (rollbackOfVanishedDeployment; a
 * rollback, not a record that does not fit), else `not-rolled` with the mismatch.
 */
function checkedRolloutStart(
  start: RecordedRolloutStart,
  service: ObservedService,
): { since: Date } | { verdict: RolloutVerdict; mismatch?: string } {
  const checked = rolloutStartFromAws(start.record, start.versionCreatedAt, service.deployments);
  if (!('problem' in checked)) return checked;
  const rolledBack = rollbackOfVanishedDeployment(start.record, start.versionCreatedAt, service.deployments);
  if (rolledBack !== undefined) return { verdict: rolledBack };
  return { verdict: recordMismatchVerdict(checked.problem), mismatch: checked.problem };
}

/** The verdict on a record that does not fit what AWS reports: not rolled out. */
function recordMismatchVerdict(problem: string): RolloutVerdict {
  return { state: 'not-rolled', reason: `the rollout record does not fit what AWS reports: ${problem}`, recordMismatch: true };
}

/**
 * Pure: the same verdict as verifiedRolloutVerdict, from an observation the caller already made (one DescribeServices
 * and the family's tasks, shared by several secrets of one service: `fleapo-secrets contain`).
 */
export function recordedRolloutVerdict(start: RecordedRolloutStart, service: ObservedService, tasks: ObservedTask[]): RolloutVerdict {
  const checked = checkedRolloutStart(start, service);
  if ('verdict' in checked) return checked.verdict;
  return rolloutVerdict(checked.since, service.serviceName, service.deployments, tasks);
}

export interface FollowOptions {
  timeoutMs: number;
  pollMs: number;
  /** Called with a one-line description whenever the verdict changes (no values, ids only). */
  onProgress?: (line: string) => void;
}

/** A verdict that will not change by waiting. */
export function isFinal(verdict: RolloutVerdict): boolean {
  return verdict.state === 'rolled-out' || verdict.state === 'failed' || verdict.state === 'not-rolled';
}

/**
 * The verdict from a start: a recorded rollout is checked against AWS (verifiedRolloutVerdict); a bare time is one
 * this caller just had from ECS itself (the createdAt UpdateService returned).
 */
export function rolloutVerdictFrom(ecs: ECSClient, target: EcsTarget, start: Date | RecordedRolloutStart): Promise<RolloutVerdict> {
  return start instanceof Date ? currentRolloutVerdict(ecs, target, start) : verifiedRolloutVerdict(ecs, target, start);
}

/**
 * Polls until the value current since `start` is rolled out everywhere, the rollout failed, nothing rolls it, or
 * `timeoutMs` passed. Returns the last verdict: only `rolled-out` means safe.
 */
export async function followRollout(
  ecs: ECSClient,
  target: EcsTarget,
  start: Date | RecordedRolloutStart,
  options: FollowOptions,
): Promise<RolloutVerdict> {
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    const verdict = await rolloutVerdictFrom(ecs, target, start);
    const line = `${verdict.state}: ${describeVerdict(verdict)}`;
    if (line !== last) options.onProgress?.(line);
    last = line;
    if (isFinal(verdict) || Date.now() >= deadline) return verdict;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}
