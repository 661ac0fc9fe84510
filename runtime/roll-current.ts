/**
 * Recovery after a failed rotation, whatever state it left: bring the value that is AWSCURRENT now to "rolled out
 * everywhere" without a new value. Operator side (bin/fleapo-secrets roll-current <secret> --env <env>).
 * - AWSPENDING left on any version (a rotation that failed before or after moving AWSCURRENT) is removed;
 *   AWSCURRENT never moves.
 * - A staged label (FLEAPO_STAGED) left on a value that is already current is removed (stagedLabelState): a value
 *   staged for a later rotation keeps it.
 * - If the rollout record names the current version and ECS shows that rollout done or still going, nothing is
 *   rolled. Otherwise (UpdateService kept failing, the record was lost, the deployment failed or rolled back) the
 *   service is rolled once and the rollout recorded on the secret, exactly as the rotation function does.
 * The caller then follows the rollout (followRollout) from the returned time T.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { STAGED_LABEL } from '../catalog/labels';
import { stagedLabelState, stagedVersionId } from './staging';
import type { EcsTarget } from './ecs-service';
import { forceNewDeployment, rolloutRecord } from './ecs-service';
import { verifiedRolloutVerdict } from './rollout-follow';
import { recordedRollout } from './rollout-tags';
import { describeVerdict } from './rollout-verdict';
import { AWSCURRENT, AWSPENDING, SecretStore, versionWithStage } from './secret-store';

export interface RollCurrentPlan {
  /** The AWSCURRENT version being rolled out. */
  versionId: string;
  /** T: the rollout to follow is of the value current since then. */
  since: Date;
  /** What was done, one line each (ids only). */
  actions: string[];
}

/** `onAction` hears each action as it is done (a later step may still throw). */
export async function rollCurrent(
  store: SecretStore,
  ecs: ECSClient,
  secretId: string,
  target: EcsTarget,
  onAction: (line: string) => void = () => undefined,
): Promise<RollCurrentPlan> {
  const done: string[] = [];
  const actions = {
    push: (line: string) => {
      done.push(line);
      onAction(line);
    },
  };
  const description = await store.describe(secretId);
  const versionId = versionWithStage(description.versionIdsToStages, AWSCURRENT);
  if (versionId === undefined) throw new Error(`Secret ${secretId}: no version is staged AWSCURRENT`);
  const pending = versionWithStage(description.versionIdsToStages, AWSPENDING);
  if (pending !== undefined) {
    await store.removeStage(secretId, AWSPENDING, pending);
    actions.push(
      pending === versionId
        ? `removed the AWSPENDING label left on the current version ${versionId} (its rotation moved AWSCURRENT, then failed to roll)`
        : `removed AWSPENDING from version ${pending} (an incomplete rotation; AWSCURRENT stays on version ${versionId})`,
    );
  }

  if (stagedVersionId(description.versionIdsToStages) !== undefined) {
    const created = await store.versionCreatedAt(secretId);
    const staged = stagedLabelState(description.versionIdsToStages, description.tags, (id) => created[id]);
    if (staged?.state === 'current') {
      await store.removeStage(secretId, STAGED_LABEL, staged.versionId);
      actions.push(
        staged.versionId === versionId
          ? `removed the staged label (${STAGED_LABEL}) left on the current version ${versionId}`
          : `removed the staged label (${STAGED_LABEL}) from version ${staged.versionId}: its value is already AWSCURRENT (version ${versionId}, whose finish step failed before it removed the label)`,
      );
    }
  }

  const record = recordedRollout(description.tags, versionId);
  if (record !== undefined) {
    const versionCreatedAt = await store.versionCreatedDate(secretId, versionId);
    const verdict = await verifiedRolloutVerdict(ecs, target, { record, versionCreatedAt });
    if (verdict.state === 'rolled-out' || verdict.state === 'in-progress' || verdict.state === 'old-tasks') {
      actions.push(`the recorded rollout of version ${versionId} is ${verdict.state} (${describeVerdict(verdict)}): not rolling again`);
      return { versionId, since: record.createdAt, actions: done };
    }
    actions.push(`the recorded rollout of version ${versionId} is ${verdict.state} (${describeVerdict(verdict)})`);
  } else {
    actions.push(`no rollout of the current version ${versionId} is recorded on the secret`);
  }
  const deployment = await forceNewDeployment(ecs, target);
  actions.push(`started ECS deployment ${deployment.id} of ${target.service}`);
  try {
    await store.tag(secretId, rolloutRecord(versionId, deployment));
  } catch (error) {
    throw new Error(
      `Secret ${secretId}: started deployment ${deployment.id} but could not record it on the secret (${(error as Error).name}); the retirement cannot follow it until it is recorded`,
    );
  }
  actions.push(`recorded the rollout on the secret`);
  return { versionId, since: deployment.createdAt, actions: done };
}
