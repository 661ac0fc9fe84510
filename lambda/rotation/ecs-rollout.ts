import type { ECSClient } from '@aws-sdk/client-ecs';
import { ENV_FLEAPO_ENVIRONMENT } from '../../catalog/env-vars';
import { METRIC_ROLLOUT_NOT_RECORDED } from '../../catalog/metrics';
import { TAG_CONTAIN_VERSION, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../../catalog/tags';
import { forceNewDeployment, rolloutRecord, type EcsTarget, type StartedDeployment } from '../../runtime/ecs-service';
import type { SecretStore } from '../../runtime/secret-store';
import { optionalEnv } from '../config/env';
import { publishCountMetric } from '../observability/emf-metric';
import { logger } from '../observability/logger';
import type { RotationContext } from './rotation-engine';

/**
 * Rolls the service for `versionId` (already AWSCURRENT) and records the rollout on the secret. Throws when
 * UpdateService fails (nothing rolled, nothing recorded); a failure to record after the roll does not throw: it
 * alarms (RolloutNotRecorded) and returns the deployment.
 */
export async function rollAndRecord(
  store: SecretStore,
  secretId: string,
  versionId: string,
  ecs: ECSClient,
  target: EcsTarget,
): Promise<StartedDeployment> {
  const deployment = await forceNewDeployment(ecs, target);
  logger.info('Started ECS rollout', {
    ecsService: target.service,
    deploymentId: deployment.id,
    deploymentCreatedAt: deployment.createdAt.toISOString(),
  });
  try {
    await store.tag(secretId, rolloutRecord(versionId, deployment));
  } catch (error) {
    // The rotation itself is complete and rolled out: failing it now would only roll the service again. What is
    // lost is the record the retirement needs, so the old database role stays valid (safe) and the team is alerted.
    logger.error('Could not record the rollout on the secret: the previous database role will not be retired automatically', {
      deploymentId: deployment.id,
      errorName: (error as Error).name,
    });
    publishCountMetric(METRIC_ROLLOUT_NOT_RECORDED, optionalEnv(ENV_FLEAPO_ENVIRONMENT));
  }
  return deployment;
}

/**
 * What a Lambda does when a secret's rollout record does not fit what AWS reports (rolloutStartFromAws): log it
 * (ids and times only) and raise RolloutNotRecorded, the alarm of a rollout the retirement and the notices cannot
 * follow. The verdict is then "not rolled out".
 */
export function rolloutRecordMismatch(secretId: string): (problem: string) => void {
  return (problem) => {
    logger.error('The rollout record on the secret does not fit what AWS reports: treated as not rolled out', { secretId, problem });
    publishCountMetric(METRIC_ROLLOUT_NOT_RECORDED, optionalEnv(ENV_FLEAPO_ENVIRONMENT));
  };
}

/**
 * The afterFinish of every playbook: roll the ECS service so new tasks read the new AWSCURRENT,
 * once per rotated version. Done-ness is recorded on the secret as tags, so a retry after a
 * failed UpdateService rolls, and a retry after success does not roll again. A failure to record it does not
 * fail the rotation (see rollAndRecord).
 */
export async function rollServiceOnce(ctx: RotationContext, ecs: ECSClient, target: EcsTarget): Promise<void> {
  if (ctx.description.tags[TAG_CONTAIN_VERSION] === ctx.token) {
    // `fleapo-secrets contain` chose this token before RotateSecret: it rolls the service once for every secret it
    // contains, and records the rollout on each (a second run rolls it if it was interrupted).
    logger.info('The containment rolls the service for this version (one deployment for all its secrets)');
    return;
  }
  if (ctx.description.tags[TAG_ROLLOUT_VERSION] === ctx.token) {
    logger.info('ECS rollout already started for this version', {
      deploymentId: ctx.description.tags[TAG_ROLLOUT_DEPLOYMENT],
    });
    return;
  }
  await rollAndRecord(ctx.store, ctx.secretId, ctx.token, ecs, target);
}
