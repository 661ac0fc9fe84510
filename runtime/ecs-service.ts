import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { TAG_ROLLOUT_CREATED_AT, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../catalog/tags';
import type { ObservedDeployment, ObservedTask } from './rollout-verdict';

/** The ECS service a secret's tasks run in (the functions' ECS_CLUSTER / ECS_SERVICE, the CLI's configuration). */
export interface EcsTarget {
  cluster: string;
  service: string;
}

/** The deployment an UpdateService(forceNewDeployment) started, as ECS reports it. */
export interface StartedDeployment {
  id: string;
  /** ECS's createdAt of the deployment (the time T of the rollout record). */
  createdAt: Date;
}

/**
 * UpdateService(forceNewDeployment) and the PRIMARY deployment it started. `calledAt` (this machine's clock, taken
 * before the call) stands in for createdAt only if ECS reported none.
 */
export async function forceNewDeployment(ecs: ECSClient, target: EcsTarget): Promise<StartedDeployment> {
  const calledAt = new Date();
  const out = await ecs.send(new UpdateServiceCommand({ cluster: target.cluster, service: target.service, forceNewDeployment: true }));
  const primary = out.service?.deployments?.find((d) => d.status === 'PRIMARY');
  if (primary?.id === undefined) {
    throw new Error(`ECS service ${target.service}: UpdateService returned no PRIMARY deployment`);
  }
  return { id: primary.id, createdAt: primary.createdAt ?? calledAt };
}

/** The rollout record of `versionId` as tags (see rollout-tags.ts). */
export function rolloutRecord(versionId: string, deployment: StartedDeployment): Record<string, string> {
  return {
    [TAG_ROLLOUT_VERSION]: versionId,
    [TAG_ROLLOUT_DEPLOYMENT]: deployment.id,
    [TAG_ROLLOUT_CREATED_AT]: deployment.createdAt.toISOString(),
  };
}

/** What DescribeServices reports about the service: its name, task definition families and deployments. */
export interface ObservedService {
  serviceName: string;
  /** Families of the service's and its deployments' task definitions (tasks that may use its secrets). */
  families: string[];
  deployments: ObservedDeployment[];
}

/** `arn:aws:ecs:...:task-definition/FAMILY:REV` (or `FAMILY:REV`) to FAMILY. */
export function taskDefinitionFamily(taskDefinition: string): string {
  return taskDefinition.replace(/^arn:[^:]+:ecs:[^:]*:[^:]*:task-definition\//, '').replace(/:\d+$/, '');
}

export async function observeService(ecs: ECSClient, target: EcsTarget): Promise<ObservedService> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] }));
  const service = out.services?.[0];
  // A service that never existed (or whose record was purged) is a failure `MISSING`, not an error; a deleted one is
  // DRAINING, then INACTIVE: neither runs the value any more, so no rollout verdict can be drawn from it.
  if (service === undefined || service.status !== 'ACTIVE') {
    const why = out.failures?.[0]?.reason ?? service?.status ?? 'not found';
    throw new Error(`ECS service ${target.service} in cluster ${target.cluster}: ${why}`);
  }
  const families = new Set<string>();
  if (service.taskDefinition) families.add(taskDefinitionFamily(service.taskDefinition));
  for (const d of service.deployments ?? []) if (d.taskDefinition) families.add(taskDefinitionFamily(d.taskDefinition));
  return {
    serviceName: service.serviceName ?? target.service.split('/').pop()!,
    families: [...families],
    deployments: (service.deployments ?? [])
      .filter((d) => d.id !== undefined)
      .map((d) => ({
        id: d.id!,
        status: d.status,
        rolloutState: d.rolloutState,
        rolloutStateReason: d.rolloutStateReason,
        createdAt: d.createdAt,
      })),
  };
}

/**
 * Every task of the cluster in one of `families` that is not STOPPED yet: service and standalone (RunTask) tasks,
 * including those already told to stop (desired STOPPED) whose containers may still run. ListTasks (both desired
 * statuses, all pages), then DescribeTasks 100 at a time.
 */
export async function observeTasks(ecs: ECSClient, cluster: string, families: string[]): Promise<ObservedTask[]> {
  const arns = new Set<string>();
  for (const family of families) {
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      let nextToken: string | undefined;
      do {
        const page = await ecs.send(new ListTasksCommand({ cluster, family, desiredStatus, nextToken }));
        for (const arn of page.taskArns ?? []) arns.add(arn);
        nextToken = page.nextToken;
      } while (nextToken);
    }
  }
  const all = [...arns];
  const tasks: ObservedTask[] = [];
  for (let i = 0; i < all.length; i += 100) {
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: all.slice(i, i + 100) }));
    for (const t of out.tasks ?? []) {
      if (t.taskArn === undefined || t.lastStatus === 'STOPPED') continue;
      tasks.push({ taskArn: t.taskArn, group: t.group, lastStatus: t.lastStatus, createdAt: t.createdAt, startedAt: t.startedAt });
    }
  }
  return tasks;
}
