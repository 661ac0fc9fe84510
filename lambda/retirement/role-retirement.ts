import { ECSClient } from '@aws-sdk/client-ecs';
import { DatabaseSettings, EcsTarget } from '../config/env';
import { logger } from '../observability/logger';
import { METRIC_RETIREMENT_BLOCKED, METRIC_RETIREMENT_REFUSED, METRIC_ROLE_RETIRED, publishCountMetric } from '../observability/emf-metric';
import { parseDatabaseSecret, parsePostgresUrl } from '../postgres/database-secret';
import { parseMasterCredentials } from '../postgres/master-credentials';
import { withConnection } from '../postgres/pg-connection';
import { checkApplicationRole, checkConfiguredSecret, checkMasterIsNotApplicationRole, masterLogin } from '../postgres/database-target';
import { retireRole, roleExists, sessionCount } from '../postgres/role-admin';
import { describeDeployments, TAG_RETIRED_DEPLOYMENT, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../rotation/ecs-rollout';
import { AWSCURRENT, AWSPREVIOUS, SecretStore, versionWithStage } from '../rotation/secret-store';
import { deploymentEventVerdict, DeploymentVerdict, isConfiguredService, RetirementTrigger, serviceStateVerdict } from './retirement-trigger';

export type RetirementOutcome =
  | 'ignored' // not about our service / our rollout deployment, or unsupported event
  | 'waiting' // our deployment has not completed yet (or a newer rotation is under way)
  | 'already-retired'
  | 'nothing-to-retire' // no previous user, or the same user
  | 'retired'
  | 'blocked' // deployment completed but pg_stat_activity does not show the switch yet
  | 'refused'; // the rollout failed or was rolled back: never retire

export interface RetirementDeps {
  store: SecretStore;
  ecs: ECSClient;
  secretArn: string;
  ecsTarget: EcsTarget;
  db: DatabaseSettings;
  environment: string | undefined;
}

/**
 * Runbook "DATABASE_URL" step 4: after the rollout the rotation started has completed and
 * pg_stat_activity shows the new user (and no session of the old one), disable the old user:
 * `ALTER ROLE old NOLOGIN PASSWORD NULL` (never DROP: it may own objects). Recorded on the
 * secret as tag fleapo:retired-deployment; the next rotation re-enables that role with a new password.
 */
export async function retireOldRole(trigger: RetirementTrigger, deps: RetirementDeps): Promise<RetirementOutcome> {
  if (trigger.kind === 'unsupported') {
    logger.warn('Ignoring unsupported event', { event: trigger.description });
    return 'ignored';
  }
  if (trigger.kind === 'deployment' && !isConfiguredService(trigger.serviceArn, deps.ecsTarget.service)) {
    logger.debug('Ignoring deployment event of another service', { serviceArn: trigger.serviceArn });
    return 'ignored';
  }

  const description = await deps.store.describe(deps.secretArn);
  const rolloutDeployment = description.tags[TAG_ROLLOUT_DEPLOYMENT];
  if (rolloutDeployment === undefined) {
    logger.debug('No rollout recorded on the secret');
    return 'ignored';
  }
  if (description.tags[TAG_RETIRED_DEPLOYMENT] === rolloutDeployment) {
    logger.debug('Old role already retired for this rollout', { deploymentId: rolloutDeployment });
    return 'already-retired';
  }

  const verdict: DeploymentVerdict =
    trigger.kind === 'deployment'
      ? deploymentEventVerdict(trigger, rolloutDeployment)
      : serviceStateVerdict(await describeDeployments(deps.ecs, deps.ecsTarget), rolloutDeployment);
  const logKeys = { deploymentId: rolloutDeployment, trigger: trigger.kind, eventName: trigger.kind === 'deployment' ? trigger.eventName : undefined };
  switch (verdict) {
    case 'other-deployment':
      logger.debug('Event is not about the rotation rollout deployment', logKeys);
      return 'ignored';
    case 'pending':
      logger.info('Rotation rollout has not completed yet', logKeys);
      return 'waiting';
    case 'refused':
      logger.error('Rotation rollout failed or was rolled back; the old database role stays enabled', logKeys);
      publishCountMetric(METRIC_RETIREMENT_REFUSED, deps.environment);
      return 'refused';
    case 'completed':
      break;
  }

  // The tags must describe the version that is AWSCURRENT now; otherwise a newer rotation has
  // moved AWSCURRENT and its rollout is not recorded yet: AWSPREVIOUS may be in use.
  const currentVersion = versionWithStage(description.versionIdsToStages, AWSCURRENT);
  if (description.tags[TAG_ROLLOUT_VERSION] !== currentVersion) {
    logger.info('AWSCURRENT is not the version of the recorded rollout; waiting', logKeys);
    return 'waiting';
  }

  // The configuration decides what may be retired, not the secret: AWSCURRENT must name the configured database and
  // an application role, AWSPREVIOUS's role must be the other application role (its host is never used: the
  // retirement logs in to the configured database only), and the master user is never one of them.
  const currentWhat = `Secret ${deps.secretArn}: AWSCURRENT`;
  const current = parsePostgresUrl(await deps.store.getString(deps.secretArn, AWSCURRENT), currentWhat);
  checkConfiguredSecret(current, deps.db, currentWhat);
  const previousValue = await deps.store.findString(deps.secretArn, AWSPREVIOUS);
  const previousWhat = `Secret ${deps.secretArn}: AWSPREVIOUS`;
  const previousUser = previousValue === undefined ? undefined : parseDatabaseSecret(previousValue, previousWhat).url.user;
  if (previousUser === undefined || previousUser === current.user) {
    logger.info('No previous database role to retire', { ...logKeys, role: current.user });
    await deps.store.tag(deps.secretArn, { [TAG_RETIRED_DEPLOYMENT]: rolloutDeployment });
    return 'nothing-to-retire';
  }
  checkApplicationRole(previousUser, deps.db.target, previousWhat);

  const master = parseMasterCredentials(await deps.store.getString(deps.db.masterSecretArn, AWSCURRENT), deps.db.masterSecretArn);
  checkMasterIsNotApplicationRole(master, deps.db.target, deps.db.masterSecretArn);
  const adminTarget = masterLogin(deps.db, master);
  const outcome = await withConnection(adminTarget, deps.db, async (client) => {
    const newSessions = await sessionCount(client, current.user);
    const oldSessions = await sessionCount(client, previousUser);
    if (newSessions < 1 || oldSessions > 0) {
      logger.warn('Not retiring the old database role: pg_stat_activity does not show the switch yet', {
        ...logKeys,
        newRole: current.user,
        newRoleSessions: newSessions,
        oldRole: previousUser,
        oldRoleSessions: oldSessions,
      });
      return 'blocked' as const;
    }
    if (await roleExists(client, previousUser)) await retireRole(client, previousUser);
    return 'retired' as const;
  });
  if (outcome === 'blocked') {
    publishCountMetric(METRIC_RETIREMENT_BLOCKED, deps.environment);
    return outcome;
  }
  await deps.store.tag(deps.secretArn, { [TAG_RETIRED_DEPLOYMENT]: rolloutDeployment });
  publishCountMetric(METRIC_ROLE_RETIRED, deps.environment);
  logger.info('Retired old database role', { ...logKeys, oldRole: previousUser, newRole: current.user });
  return outcome;
}
