import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { EcsTarget } from '../config/env';
import { logger } from '../observability/logger';
import type { RotationContext } from './rotation-engine';

/** Tag on the rotated secret: the version id whose rollout was started. */
export const TAG_ROLLOUT_VERSION = 'fleapo:rollout-version';
/** Tag on the rotated secret: the PRIMARY ECS deployment id that rollout started (`ecs-svc/...`). */
export const TAG_ROLLOUT_DEPLOYMENT = 'fleapo:rollout-deployment';
/** Tag on the database-url secret: the deployment id whose old database role was retired. */
export const TAG_RETIRED_DEPLOYMENT = 'fleapo:retired-deployment';

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
 * failed UpdateService rolls, and a retry after success does not roll again.
 */
export async function rollServiceOnce(ctx: RotationContext, ecs: ECSClient, target: EcsTarget): Promise<void> {
  if (ctx.description.tags[TAG_ROLLOUT_VERSION] === ctx.token) {
    logger.info('ECS rollout already started for this version', {
      deploymentId: ctx.description.tags[TAG_ROLLOUT_DEPLOYMENT],
    });
    return;
  }
  const deploymentId = await forceNewDeployment(ecs, target);
  await ctx.store.tag(ctx.secretId, { [TAG_ROLLOUT_VERSION]: ctx.token, [TAG_ROLLOUT_DEPLOYMENT]: deploymentId });
  logger.info('Started ECS rollout', { service: target.service, deploymentId });
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
