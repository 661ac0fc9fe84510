import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ENV_FLEAPO_ENVIRONMENT, EcsTarget, optionalEnv } from '../config/env';
import { METRIC_ROLLOUT_NOT_RECORDED, publishCountMetric } from '../observability/emf-metric';
import { logger } from '../observability/logger';
import type { RotationContext } from './rotation-engine';

import { TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from './rollout-tags';

export { TAG_RETIRED_DEPLOYMENT, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from './rollout-tags';

/** UpdateService(forceNewDeployment) and the id of the PRIMARY deployment it started. */
export async function forceNewDeployment(ecs: ECSClient, target: EcsTarget): Promise<string> {
  const out = await ecs.send(
    new UpdateServiceCommand({ cluster: target.cluster, service: target.service, forceNewDeployment: true }),
  );
  const primary = out.service?.deployments?.find((d) => d.status === 'PRIMARY');
  if (primary?.id === undefined) {
    throw new Error(`ECS service ${target.service}: UpdateService returned no PRIMARY deployment`);
  }
  return primary.id;
}

/**
 * The afterFinish of every playbook: roll the ECS service so new tasks read the new AWSCURRENT,
 * once per rotated version. Done-ness is recorded on the secret as tags, so a retry after a
 * failed UpdateService rolls, and a retry after success does not roll again. A failure to record it does not
 * fail the rotation (see below).
 */
export async function rollServiceOnce(ctx: RotationContext, ecs: ECSClient, target: EcsTarget): Promise<void> {
  if (ctx.description.tags[TAG_ROLLOUT_VERSION] === ctx.token) {
    logger.info('ECS rollout already started for this version', {
      deploymentId: ctx.description.tags[TAG_ROLLOUT_DEPLOYMENT],
    });
    return;
  }
  const deploymentId = await forceNewDeployment(ecs, target);
  logger.info('Started ECS rollout', { ecsService: target.service, deploymentId });
  try {
    await ctx.store.tag(ctx.secretId, { [TAG_ROLLOUT_VERSION]: ctx.token, [TAG_ROLLOUT_DEPLOYMENT]: deploymentId });
  } catch (error) {
    // The rotation itself is complete and rolled out: failing it now would only roll the service again. What is
    // lost is the record the retirement needs, so the old database role stays valid (safe) and the team is alerted.
    logger.error('Could not record the rollout on the secret: the previous database role will not be retired automatically', {
      deploymentId,
      errorName: (error as Error).name,
    });
    publishCountMetric(METRIC_ROLLOUT_NOT_RECORDED, optionalEnv(ENV_FLEAPO_ENVIRONMENT));
  }
}

export interface DeploymentState {
  id: string;
  status?: string;
  rolloutState?: string;
}

export async function describeDeployments(ecs: ECSClient, target: EcsTarget): Promise<DeploymentState[]> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] }));
  const service = out.services?.[0];
  if (service === undefined) throw new Error(`ECS service ${target.service} not found in cluster ${target.cluster}`);
  return (service.deployments ?? [])
    .filter((d) => d.id !== undefined)
    .map((d) => ({ id: d.id as string, status: d.status, rolloutState: d.rolloutState }));
}
