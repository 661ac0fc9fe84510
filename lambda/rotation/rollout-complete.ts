import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import type { EcsTarget } from '../config/env';

/** A deployment of the service as DescribeServices reports it. */
export interface RolloutDeployment {
  id: string;
  status?: string;
  rolloutState?: string;
  createdAt?: Date;
}

/** A task of the service as DescribeTasks reports it. */
export interface RolloutTask {
  taskArn: string;
  lastStatus?: string;
  /** When the task started (and read its `secrets`); undefined while it is still starting. */
  startedAt?: Date;
}

export type RolloutVerdict = { complete: true } | { complete: false; reason: string };

/**
 * Has the service finished rolling out a value that became current before its deployment `deploymentId` was created?
 * Decided from what ECS reports alone:
 * - `deploymentId` (the deployment the rotation started) is the PRIMARY deployment, or no longer listed (a later
 *   deployment replaced it: created later still, its tasks read the value too);
 * - the PRIMARY deployment is the only one listed and its rollout is COMPLETED;
 * - no task of the service that is not STOPPED started before the PRIMARY deployment was created, or has not started
 *   yet (a task reads its `secrets` when it starts).
 */
export function rolloutComplete(deploymentId: string, deployments: RolloutDeployment[], tasks: RolloutTask[]): RolloutVerdict {
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  if (primary === undefined) return { complete: false, reason: 'the service has no PRIMARY deployment' };
  const recorded = deployments.find((d) => d.id === deploymentId);
  if (recorded !== undefined && recorded !== primary) {
    return { complete: false, reason: `deployment ${deploymentId} is ${recorded.status ?? 'not PRIMARY'}, not PRIMARY` };
  }
  if (primary.rolloutState !== 'COMPLETED') {
    return { complete: false, reason: `deployment ${primary.id} is ${primary.rolloutState ?? 'in an unknown state'}, not COMPLETED` };
  }
  const others = deployments.filter((d) => d !== primary);
  if (others.length > 0) return { complete: false, reason: `deployment ${others[0].id} (${others[0].status}) is still listed` };
  if (primary.createdAt === undefined) return { complete: false, reason: `deployment ${primary.id} has no creation time` };
  const since = primary.createdAt.getTime();
  const older = tasks.filter((t) => t.lastStatus !== 'STOPPED' && (t.startedAt === undefined || t.startedAt.getTime() < since));
  if (older.length > 0) {
    return { complete: false, reason: `${older.length} running task(s) started before deployment ${primary.id} was created` };
  }
  return { complete: true };
}

/** What {@link rolloutComplete} needs, read from ECS: DescribeServices, ListTasks, DescribeTasks. */
export async function readRollout(ecs: ECSClient, target: EcsTarget): Promise<{ deployments: RolloutDeployment[]; tasks: RolloutTask[] }> {
  const services = await ecs.send(new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] }));
  const service = services.services?.[0];
  if (service === undefined) throw new Error(`ECS service ${target.service} not found in cluster ${target.cluster}`);
  const deployments = (service.deployments ?? [])
    .filter((d) => d.id !== undefined)
    .map((d) => ({ id: d.id as string, status: d.status, rolloutState: d.rolloutState, createdAt: d.createdAt }));

  // Tasks told to stop (desired STOPPED) may still be draining: list them too; only lastStatus STOPPED is gone.
  const taskArns: string[] = [];
  for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(
        new ListTasksCommand({ cluster: target.cluster, serviceName: service.serviceName ?? target.service, desiredStatus, nextToken }),
      );
      taskArns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
  }
  const tasks: RolloutTask[] = [];
  for (let i = 0; i < taskArns.length; i += 100) {
    const out = await ecs.send(new DescribeTasksCommand({ cluster: target.cluster, tasks: taskArns.slice(i, i + 100) }));
    for (const t of out.tasks ?? []) tasks.push({ taskArn: t.taskArn ?? '', lastStatus: t.lastStatus, startedAt: t.startedAt });
  }
  return { deployments, tasks };
}
