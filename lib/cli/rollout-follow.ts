/**
 * The one seam between the CLI and the question "has the new value reached every task?" (docs/operations.md, "Rolled out
 * everywhere"). It adds nothing of its own: the answer is `rolloutVerdict` (runtime/rollout-verdict.ts), the
 * rule the AUTH_SECRET key switch, the database retirement and the Stripe notice use too: a deployment created since
 * the value became current (T, recorded on the secret as fleapo:rollout-created-at) has COMPLETED and no task of the
 * task family created before T still runs. Never "some other PRIMARY deployment".
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { followRollout as followVerdict, rolloutVerdictFrom, type RecordedRolloutStart } from '../../runtime/rollout-follow';
import { describeVerdict, type RolloutVerdict } from '../../runtime/rollout-verdict';

export interface RolloutTarget {
  readonly cluster: string;
  readonly service: string;
  /** T: when the rollout of the current value started (tag fleapo:rollout-created-at). */
  readonly since: Date;
  /**
   * The record T comes from, with the version's CreatedDate: when given, the verdict checks it against what AWS
   * reports (rolloutStartFromAws) and a record that does not fit is "not rolled out". Absent only for a T this process
   * had from ECS itself (roll-current's own UpdateService).
   */
  readonly recorded?: RecordedRolloutStart;
}

export type RolloutOutcome =
  /** Safe: every task now runs with the new value (the old key may be revoked). */
  | { readonly kind: 'completed'; readonly deploymentId: string }
  /** Not safe: the rollout failed or rolled back, or nothing rolls the value out; tasks may hold the previous value. */
  | { readonly kind: 'failed'; readonly reason: string }
  /** Not known yet within the time given. */
  | { readonly kind: 'timeout'; readonly detail: string };

export interface FollowRolloutOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly onChange?: (text: string) => void;
}

/** One look at the rollout, for `status`. */
export interface RolloutSnapshot {
  /** The verdict's state: rolled-out, in-progress, failed, old-tasks (tasks from before T still run), not-rolled. */
  readonly state: RolloutVerdict['state'];
  /** Ids, states and counts; never a value. */
  readonly detail: string;
}

export async function rolloutSnapshot(ecs: ECSClient, target: RolloutTarget): Promise<RolloutSnapshot> {
  const verdict = await rolloutVerdictFrom(ecs, target, target.recorded ?? target.since);
  return { state: verdict.state, detail: describeVerdict(verdict) };
}

/** Maps a final (or last) verdict to what the CLI says. Pure. */
export function rolloutOutcome(verdict: RolloutVerdict): RolloutOutcome {
  switch (verdict.state) {
    case 'rolled-out':
      return { kind: 'completed', deploymentId: verdict.deploymentId };
    case 'failed':
    case 'not-rolled':
      return { kind: 'failed', reason: describeVerdict(verdict) };
    case 'in-progress':
    case 'old-tasks':
      return { kind: 'timeout', detail: describeVerdict(verdict) };
  }
}

export async function followRollout(ecs: ECSClient, target: RolloutTarget, options: FollowRolloutOptions): Promise<RolloutOutcome> {
  const verdict = await followVerdict(ecs, target, target.recorded ?? target.since, {
    timeoutMs: options.timeoutMs,
    pollMs: options.intervalMs,
    onProgress: options.onChange,
  });
  return rolloutOutcome(verdict);
}
