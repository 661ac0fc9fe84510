/**
 * What invoked database-role-retirement, reduced to what the decision needs.
 * (a) EventBridge "ECS Deployment State Change" (source aws.ecs), (b) the scheduled retry tick.
 */
export type RetirementTrigger =
  | { kind: 'deployment'; serviceArn: string; eventName: string; deploymentId: string; reason: string }
  | { kind: 'tick' }
  | { kind: 'unsupported'; description: string };

export const DEPLOYMENT_COMPLETED = 'SERVICE_DEPLOYMENT_COMPLETED';
export const DEPLOYMENT_FAILED = 'SERVICE_DEPLOYMENT_FAILED';
export const DEPLOYMENT_IN_PROGRESS = 'SERVICE_DEPLOYMENT_IN_PROGRESS';

export function parseRetirementTrigger(event: unknown): RetirementTrigger {
  const e = (event ?? {}) as Record<string, unknown>;
  const detail = (e.detail ?? {}) as Record<string, unknown>;
  if (e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event') return { kind: 'tick' };
  if (e.source === 'aws.ecs' && e['detail-type'] === 'ECS Deployment State Change') {
    const resources = Array.isArray(e.resources) ? e.resources : [];
    if (typeof resources[0] === 'string' && typeof detail.eventName === 'string' && typeof detail.deploymentId === 'string') {
      return {
        kind: 'deployment',
        serviceArn: resources[0],
        eventName: detail.eventName,
        deploymentId: detail.deploymentId,
        reason: typeof detail.reason === 'string' ? detail.reason : '',
      };
    }
  }
  return { kind: 'unsupported', description: `source=${String(e.source)} detail-type=${String(e['detail-type'])}` };
}

/** ECS_SERVICE may be the service ARN or its name; event resources carry the ARN. */
export function isConfiguredService(serviceArn: string, configured: string): boolean {
  if (configured.startsWith('arn:')) return serviceArn === configured;
  return serviceArn.split('/').pop() === configured;
}

export function isRollback(reason: string): boolean {
  return /roll(ing|ed)?[\s-]?back/i.test(reason);
}

export type DeploymentVerdict = 'completed' | 'refused' | 'pending' | 'other-deployment';

/** Verdict of an ECS deployment event about the rotation's deployment `rolloutDeployment`. */
export function deploymentEventVerdict(
  trigger: Extract<RetirementTrigger, { kind: 'deployment' }>,
  rolloutDeployment: string,
): DeploymentVerdict {
  const ours = trigger.deploymentId === rolloutDeployment;
  const rollback = isRollback(trigger.reason);
  // A rollback event may carry the rollback deployment's id and name ours in its reason.
  if (rollback && (ours || trigger.reason.includes(rolloutDeployment))) return 'refused';
  if (!ours) return 'other-deployment';
  if (trigger.eventName === DEPLOYMENT_FAILED) return 'refused';
  if (trigger.eventName === DEPLOYMENT_COMPLETED) return 'completed';
  return 'pending';
}

/** Verdict from DescribeServices' deployments on a scheduled tick. */
export function serviceStateVerdict(
  deployments: { id: string; status?: string; rolloutState?: string }[],
  rolloutDeployment: string,
): DeploymentVerdict {
  const ours = deployments.find((d) => d.id === rolloutDeployment);
  if (ours === undefined) return 'other-deployment';
  if (ours.rolloutState === 'FAILED') return 'refused';
  if (ours.status === 'PRIMARY' && ours.rolloutState === 'COMPLETED') return 'completed';
  return 'pending';
}
