/**
 * What invoked database-role-retirement, reduced to what the decision needs.
 * (a) EventBridge "ECS Deployment State Change" (source aws.ecs), (b) the scheduled retry tick.
 */
export type RetirementTrigger =
  | { kind: 'deployment'; serviceArn: string; eventName: string; deploymentId: string; reason: string }
  | { kind: 'tick' }
  /**
   * `fleapo-secrets contain DATABASE_URL` after the leak's rotation rolled out: retire the previous role now and end
   * its remaining sessions (pg_terminate_backend) instead of waiting for them. The rollout must still be complete
   * as ECS reports it: the input cannot name a role or skip a check.
   */
  | { kind: 'contain' }
  | { kind: 'unsupported'; description: string };

/** The explicit input of `fleapo-secrets contain`: `{"fleapo":"contain","terminateSessions":true}`. */
export const CONTAIN_REQUEST = 'contain';
export const CONTAIN_INPUT = { fleapo: CONTAIN_REQUEST, terminateSessions: true } as const;

export const DEPLOYMENT_COMPLETED = 'SERVICE_DEPLOYMENT_COMPLETED';
export const DEPLOYMENT_FAILED = 'SERVICE_DEPLOYMENT_FAILED';
export const DEPLOYMENT_IN_PROGRESS = 'SERVICE_DEPLOYMENT_IN_PROGRESS';

export function parseRetirementTrigger(event: unknown): RetirementTrigger {
  const e = (event ?? {}) as Record<string, unknown>;
  const detail = (e.detail ?? {}) as Record<string, unknown>;
  if (e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event') return { kind: 'tick' };
  if (e.fleapo === CONTAIN_REQUEST && e.terminateSessions === true) return { kind: 'contain' };
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

export { isRollback } from './rollout-verdict';
