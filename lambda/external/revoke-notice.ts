import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { logger } from '../observability/logger';
import { deploymentEventVerdict, isConfiguredService, type RetirementTrigger } from '../retirement/retirement-trigger';
import { TAG_REVOKE_NOTICE_VERSION, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../rotation/rollout-tags';
import { AWSCURRENT, type SecretDescription, type SecretStore } from '../rotation/secret-store';

/**
 * Whether the deployment event says the rollout carrying the secret's new value completed, so that the old key may
 * be revoked: the completed deployment is the one the rotation recorded (fleapo:rollout-deployment), for the version
 * that is still AWSCURRENT, and no notice was published for that version yet. Pure.
 * (Issue 8's "safe to revoke" predicate, deployment createdAt against task startedAt, belongs here when merged.)
 */
export function revokeNoticeDue(trigger: Extract<RetirementTrigger, { kind: 'deployment' }>, secret: SecretDescription): string | undefined {
  const version = secret.tags[TAG_ROLLOUT_VERSION];
  const deployment = secret.tags[TAG_ROLLOUT_DEPLOYMENT];
  if (!version || !deployment) return undefined;
  if (!secret.versionIdsToStages[version]?.includes(AWSCURRENT)) return undefined;
  if (secret.tags[TAG_REVOKE_NOTICE_VERSION] === version) return undefined;
  return deploymentEventVerdict(trigger, deployment) === 'completed' ? version : undefined;
}

/** The notice: names the secret, version and deployment; never a value. */
export function revokeNoticeText(secretName: string, versionId: string, deploymentId: string, environment: string | undefined): { subject: string; message: string } {
  return {
    subject: `fleapo${environment ? ` ${environment}` : ''}: the old Stripe key may now be revoked`,
    message:
      `The rollout carrying version ${versionId} of ${secretName} has completed (ECS deployment ${deploymentId}): ` +
      'every task now runs with the new key. The old key may now be revoked in the Stripe Dashboard ' +
      '(API keys: expire the old key; webhook signing secret: end the old secret\'s overlap).',
  };
}

export interface RevokeNoticeDeps {
  readonly store: SecretStore;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly secretArns: string[];
  readonly service: string;
  readonly environment?: string;
}

/**
 * On an ECS deployment event: for each Stripe secret whose recorded rollout this event completes, publish "the old
 * key may now be revoked" to the alert topic, then record that on the secret (tag fleapo:revoke-notice-version),
 * so a repeated event publishes nothing more. Returns the secrets announced.
 */
export async function announceRevocableKeys(trigger: RetirementTrigger, deps: RevokeNoticeDeps): Promise<string[]> {
  if (trigger.kind !== 'deployment' || !isConfiguredService(trigger.serviceArn, deps.service)) {
    logger.info('Not a deployment event of the service: nothing to announce', { trigger: trigger.kind });
    return [];
  }
  const announced: string[] = [];
  for (const arn of deps.secretArns) {
    const secret = await deps.store.describe(arn);
    const version = revokeNoticeDue(trigger, secret);
    if (version === undefined) continue;
    const name = arn.split(':secret:').pop()!.replace(/-[A-Za-z0-9]{6}$/, '');
    const { subject, message } = revokeNoticeText(name, version, trigger.deploymentId, deps.environment);
    await deps.sns.send(new PublishCommand({ TopicArn: deps.topicArn, Subject: subject, Message: message }));
    await deps.store.tag(arn, { [TAG_REVOKE_NOTICE_VERSION]: version });
    logger.info('Announced that the old key may be revoked', { secretId: arn, versionId: version, deploymentId: trigger.deploymentId });
    announced.push(arn);
  }
  return announced;
}
