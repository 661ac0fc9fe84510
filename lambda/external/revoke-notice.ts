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
import { findIssuedSecret, SHIPPED_ISSUERS, type IssuedSecretRef, type IssuerBook } from '../../runtime/issuers';

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

/** The notice: names the secret, version and deployment, and says how to revoke the old value, from its issuer; never a value. */
export function revokeNoticeText(
  secret: IssuedSecretRef,
  versionId: string,
  deploymentId: string,
  environment: string | undefined,
): { subject: string; message: string } {
  const { issuer, name } = secret;
  const how = secret.secret.revoke?.how ?? `at ${issuer.name}`;
  return {
    subject: `fleapo${environment ? ` ${environment}` : ''}: the old ${issuer.name} key may now be revoked`,
    message:
      `The rollout carrying version ${versionId} of ${name} has completed (ECS deployment ${deploymentId}): ` +
      `every task now runs with the new key. The old key may now be revoked ${how}: ${secret.secret.dashboard}`,
  };
}

/** A secret the notice watches: its catalog name and its ARN. */
export interface NoticeSecret {
  readonly name: string;
  readonly arn: string;
}

/** NOTICE_SECRET_ARNS (`<catalog name>=<ARN>,...`) as pairs; a malformed entry or an unknown name is an error naming it. */
export function parseNoticeSecrets(text: string, book: IssuerBook = SHIPPED_ISSUERS): NoticeSecret[] {
  return text
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      const [name, arn] = at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
      if (!arn.startsWith('arn:')) throw new Error(`NOTICE_SECRET_ARNS entries are <name>=<secret ARN>: the one for ${name} is not`);
      if (findIssuedSecret(name, book)?.revokeNotice !== true)
        throw new Error(`NOTICE_SECRET_ARNS names ${name}, which has no revoke notice`);
      return { name, arn };
    });
}

export interface RevokeNoticeDeps {
  readonly store: SecretStore;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly secrets: readonly NoticeSecret[];
  /** The catalog and issuer registry the names are looked up in. @default the shipped ones */
  readonly book?: IssuerBook;
  readonly ecs: ECSClient;
  readonly ecsTarget: EcsTarget;
  readonly environment?: string;
}

/**
 * On an ECS deployment event: for each watched secret whose recorded rollout this event completes, publish "the old
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
  for (const { name, arn } of deps.secrets) {
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
    const { subject, message } = revokeNoticeText(findIssuedSecret(name, deps.book)!, version, verdict.deploymentId, deps.environment);
    await deps.sns.send(new PublishCommand({ TopicArn: deps.topicArn, Subject: subject, Message: message }));
    await deps.store.tag(arn, { [TAG_REVOKE_NOTICE_VERSION]: version });
    logger.info('Announced that the old key may be revoked', { secretId: arn, versionId: version, deploymentId: verdict.deploymentId });
    announced.push(arn);
  }
  return announced;
}
