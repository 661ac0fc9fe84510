import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { logger } from '../observability/logger';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EcsTarget } from '../../runtime/ecs-service';
import { isConfiguredService, type RetirementTrigger } from '../../runtime/retirement-trigger';
import { verifiedRolloutVerdict } from '../../runtime/rollout-follow';
import { rolloutRecordMismatch } from '../rotation/ecs-rollout';
import { TAG_REVOKE_NOTICE_VERSION, TAG_ROLLOUT_VERSION } from '../../catalog/tags';
import { recordedRollout, type RolloutRecord } from '../../runtime/rollout-tags';
import { describeVerdict } from '../../runtime/rollout-verdict';
import { AWSCURRENT, versionWithStage, type SecretDescription, type SecretStore } from '../../runtime/secret-store';

/**
 * The version a notice may be due for: the AWSCURRENT version, when its rollout is recorded (fleapo:rollout-version
 * and the time T, fleapo:rollout-created-at) and no notice was published for it yet. Whether it is rolled out
 * everywhere is then ECS's answer (rolloutVerdict), not this event's deployment id: a code deploy that superseded the
 * rotation's own deployment carries the new key too. Pure.
 */
export function revokeNoticeCandidate(secret: SecretDescription): { version: string; since: Date; record: RolloutRecord } | undefined {
  const version = versionWithStage(secret.versionIdsToStages, AWSCURRENT);
  if (version === undefined || secret.tags[TAG_ROLLOUT_VERSION] !== version) return undefined;
  if (secret.tags[TAG_REVOKE_NOTICE_VERSION] === version) return undefined;
  const record = recordedRollout(secret.tags, version);
  return record === undefined ? undefined : { version, since: record.createdAt, record };
}

/** The notice: names the secret, version and deployment; never a value. */
export function revokeNoticeText(
  secretName: string,
  versionId: string,
  deploymentId: string,
  environment: string | undefined,
): { subject: string; message: string } {
  return {
    subject: `fleapo${environment ? ` ${environment}` : ''}: the old Stripe key may now be revoked`,
    message:
      `The rollout carrying version ${versionId} of ${secretName} has completed (ECS deployment ${deploymentId}): ` +
      'every task now runs with the new key. The old key may now be revoked in the Stripe Dashboard ' +
      "(API keys: expire the old key; webhook signing secret: end the old secret's overlap).",
  };
}

export interface RevokeNoticeDeps {
  readonly store: SecretStore;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly secretArns: string[];
  readonly ecs: ECSClient;
  readonly ecsTarget: EcsTarget;
  readonly environment?: string;
}

/**
 * On an ECS deployment event: for each Stripe secret whose recorded rollout this event completes, publish "the old
 * key may now be revoked" to the alert topic, then record that on the secret (tag fleapo:revoke-notice-version),
 * so a repeated event publishes nothing more. Returns the secrets announced.
 */
export async function announceRevocableKeys(trigger: RetirementTrigger, deps: RevokeNoticeDeps): Promise<string[]> {
  // A completed deployment of the service, or the scheduled tick (a standalone task from before the switch may have
  // stopped since the last completion: the verdict decides either way).
  const ours =
    trigger.kind === 'tick' || (trigger.kind === 'deployment' && isConfiguredService(trigger.serviceArn, deps.ecsTarget.service));
  if (!ours) {
    logger.info('Not a deployment event of the service nor the tick: nothing to announce', { trigger: trigger.kind });
    return [];
  }
  const announced: string[] = [];
  for (const arn of deps.secretArns) {
    const secret = await deps.store.describe(arn);
    const candidate = revokeNoticeCandidate(secret);
    if (candidate === undefined) continue;
    const { version } = candidate;
    const versionCreatedAt = await deps.store.versionCreatedDate(arn, version);
    const verdict = await verifiedRolloutVerdict(
      deps.ecs,
      deps.ecsTarget,
      { record: candidate.record, versionCreatedAt },
      rolloutRecordMismatch(arn),
    );
    if (verdict.state !== 'rolled-out') {
      logger.info('The new key is not rolled out everywhere yet: no notice', {
        secretId: arn,
        versionId: version,
        rollout: describeVerdict(verdict),
      });
      continue;
    }
    const name = arn
      .split(':secret:')
      .pop()!
      .replace(/-[A-Za-z0-9]{6}$/, '');
    const { subject, message } = revokeNoticeText(name, version, verdict.deploymentId, deps.environment);
    await deps.sns.send(new PublishCommand({ TopicArn: deps.topicArn, Subject: subject, Message: message }));
    await deps.store.tag(arn, { [TAG_REVOKE_NOTICE_VERSION]: version });
    logger.info('Announced that the old key may be revoked', { secretId: arn, versionId: version, deploymentId: verdict.deploymentId });
    announced.push(arn);
  }
  return announced;
}
