/**
 * The one seam between the CLI and the question "has the new value reached every task?" (README, "Rotation").
 *
 * PLACEHOLDER: this judges by the ECS deployment the rotation recorded (tag fleapo:rollout-deployment) and, when a
 * later deployment superseded it, by the PRIMARY one. Issue 8 brings the real predicate (a deployment created after
 * the new value became current has completed, and no task started before it still runs: deployment createdAt and
 * task startedAt); swap it in here, behind the same two functions and outcome types.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { describeDeployments } from '../../lambda/rotation/ecs-rollout';

export interface RolloutTarget {
  readonly cluster: string;
  readonly service: string;
  /** The deployment the rotation started (tag fleapo:rollout-deployment). */
  readonly deploymentId: string;
}

export type RolloutOutcome =
  /** Safe: tasks now run with the new value (the old key may be revoked). */
  | { readonly kind: 'completed'; readonly deploymentId: string }
  /** Not safe: the deployment failed (or rolled back); running tasks may hold the previous value. */
  | { readonly kind: 'failed'; readonly deploymentId: string; readonly reason: string }
  /** Not known yet within the time given. */
  | { readonly kind: 'timeout'; readonly deploymentId: string; readonly rolloutState?: string };

export interface FollowRolloutOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly onChange?: (text: string) => void;
}

/** One look at the rollout, for `status`. */
export interface RolloutSnapshot {
  readonly deploymentId: string;
  /** REPLACED: no longer listed (superseded, or rolled away from). */
  readonly state: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'REPLACED';
  /** Deployments other than the recorded one still listed (their tasks may run an earlier value). */
  readonly otherDeployments: number;
}

export async function rolloutSnapshot(ecs: ECSClient, target: RolloutTarget): Promise<RolloutSnapshot> {
  const deployments = await describeDeployments(ecs, target);
  const ours = deployments.find((d) => d.id === target.deploymentId);
  const state = ours === undefined ? 'REPLACED' : ours.rolloutState === 'FAILED' ? 'FAILED' : ours.rolloutState === 'COMPLETED' ? 'COMPLETED' : 'IN_PROGRESS';
  return { deploymentId: target.deploymentId, state, otherDeployments: deployments.filter((d) => d.id !== target.deploymentId).length };
}

export async function followRollout(ecs: ECSClient, target: RolloutTarget, options: FollowRolloutOptions): Promise<RolloutOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  let tracked = target.deploymentId;
  for (;;) {
    const deployments = await describeDeployments(ecs, target);
    const ours = deployments.find((d) => d.id === tracked);
    if (ours?.rolloutState === 'FAILED') return { kind: 'failed', deploymentId: tracked, reason: `ECS deployment ${tracked} FAILED` };
    if (ours?.status === 'PRIMARY' && ours.rolloutState === 'COMPLETED') return { kind: 'completed', deploymentId: tracked };
    if (ours === undefined || ours.status !== 'PRIMARY') {
      const primary = deployments.find((d) => d.status === 'PRIMARY');
      if (primary?.id === undefined || primary.id === tracked) {
        return { kind: 'failed', deploymentId: tracked, reason: `ECS deployment ${tracked} is no longer listed and no PRIMARY deployment is` };
      }
      options.onChange?.(`deployment ${tracked} was superseded by ${primary.id}; following that one`);
      tracked = primary.id;
      continue;
    }
    if (Date.now() >= deadline) return { kind: 'timeout', deploymentId: tracked, rolloutState: ours.rolloutState };
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
