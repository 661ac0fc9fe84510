import { ECSClient } from '@aws-sdk/client-ecs';
import { DatabaseSettings } from '../config/env';
import { EcsTarget } from '../../runtime/ecs-service';
import { logger } from '../observability/logger';
import {
  METRIC_RETIREMENT_BLOCKED,
  METRIC_RETIREMENT_REFUSED,
  METRIC_RETIREMENT_STALLED,
  METRIC_ROLE_RETIRED,
} from '../../catalog/metrics';
import { publishCountMetric } from '../observability/emf-metric';
import { parseDatabaseSecret } from '../../runtime/database-secret';
import { parseMasterCredentials } from '../postgres/master-credentials';
import { withConnection } from '../postgres/pg-connection';
import { checkApplicationRole, checkMasterIsNotApplicationRole, masterLogin, readConfiguredUrl } from '../postgres/database-target';
import { retireRole, roleExists, sessionCount, terminateSessions } from '../postgres/role-admin';
import { TAG_RETIRED_DEPLOYMENT, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../../catalog/tags';
import { verifiedRolloutVerdict } from '../../runtime/rollout-follow';
import { recordedRollout } from '../../runtime/rollout-tags';
import { rolloutRecordMismatch } from '../rotation/ecs-rollout';
import { describeVerdict } from '../../runtime/rollout-verdict';
import { AWSCURRENT, AWSPREVIOUS, SecretStore, versionWithStage } from '../../runtime/secret-store';
import { isConfiguredService, RetirementTrigger } from '../../runtime/retirement-trigger';

export type RetirementOutcome =
  | 'ignored' // not about our service, or unsupported event
  | 'waiting' // a deployment that carries the current value is still rolling out
  | 'already-retired'
  | 'nothing-to-retire' // no previous version, or the same user
  | 'retired'
  | 'blocked' // rolled out, but a task from before the switch still runs or pg_stat_activity does not show the switch (RetirementBlocked)
  | 'refused' // the rollout failed or rolled back: never retire (RetirementRefused)
  | 'stalled'; // nothing rolls the current value out: no rollout recorded for it, or no deployment since (RetirementStalled)

/** What a retirement did; `terminatedSessions` only for the contain request (sessions of the old role it ended). */
export interface RetirementResult {
  readonly outcome: RetirementOutcome;
  readonly terminatedSessions?: number;
  /** The retired role (a name, never a credential). */
  readonly role?: string;
}

export interface RetirementDeps {
  store: SecretStore;
  ecs: ECSClient;
  secretArn: string;
  ecsTarget: EcsTarget;
  db: DatabaseSettings;
  environment: string | undefined;
}

/**
 * Runbook "DATABASE_URL" step 4. Every event of the service and every tick re-reads the state (which event came
 * does not matter): the old role is retired when
 * 1. the rollout of the current version is recorded (time T, tag fleapo:rollout-created-at);
 * 2. ECS shows the value rolled out everywhere (rolloutVerdict): some deployment created at/after T COMPLETED and
 *    no task of the service's task family, service or standalone RunTask task, created before T still runs;
 * 3. pg_stat_activity shows the switch: the new role has sessions, the old role none.
 * Then `ALTER ROLE old NOLOGIN PASSWORD NULL` (never DROP: it may own objects), recorded as fleapo:retired-deployment.
 * A rollout still in progress waits quietly; every other reason not to retire is a metric (and an alarm).
 */
export async function retireOldRole(trigger: RetirementTrigger, deps: RetirementDeps): Promise<RetirementOutcome> {
  return (await retireOldRoleWithResult(trigger, deps)).outcome;
}

/**
 * {@link retireOldRole}, with what it did. On the contain request (`trigger.kind === 'contain'`) the same checks
 * apply (the rollout must be complete as ECS reports it), but sessions still open on the old role do not block: the
 * role is made NOLOGIN first (no new session), then its sessions are ended, and how many is returned.
 */
export async function retireOldRoleWithResult(trigger: RetirementTrigger, deps: RetirementDeps): Promise<RetirementResult> {
  const contain = trigger.kind === 'contain';
  if (trigger.kind === 'unsupported') {
    logger.warn('Ignoring unsupported event', { event: trigger.description });
    return { outcome: 'ignored' };
  }
  if (trigger.kind === 'deployment' && !isConfiguredService(trigger.serviceArn, deps.ecsTarget.service)) {
    logger.debug('Ignoring deployment event of another service', { serviceArn: trigger.serviceArn });
    return { outcome: 'ignored' };
  }

  const description = await deps.store.describe(deps.secretArn);
  const currentVersion = versionWithStage(description.versionIdsToStages, AWSCURRENT);
  if (versionWithStage(description.versionIdsToStages, AWSPREVIOUS) === undefined) {
    logger.info('No previous version: nothing to retire', { versionId: currentVersion });
    return { outcome: 'nothing-to-retire' };
  }
  const rolloutDeployment = description.tags[TAG_ROLLOUT_DEPLOYMENT];
  const logKeys = {
    versionId: currentVersion,
    deploymentId: rolloutDeployment,
    trigger: trigger.kind,
    eventName: trigger.kind === 'deployment' ? trigger.eventName : undefined,
  };
  const record = recordedRollout(description.tags, currentVersion);
  if (record === undefined) {
    logger.error(
      'The rollout of the current version is not recorded on the secret (its rotation failed to roll ECS, or to record the rollout): ' +
        'the previous database role stays enabled until the current value is rolled out (bin/fleapo-secrets roll-current DATABASE_URL --env <env>)',
      { ...logKeys, recordedVersion: description.tags[TAG_ROLLOUT_VERSION] },
    );
    publishCountMetric(METRIC_RETIREMENT_STALLED, deps.environment);
    return { outcome: 'stalled' };
  }
  if (description.tags[TAG_RETIRED_DEPLOYMENT] === rolloutDeployment) {
    logger.debug('Old role already retired for this rollout', logKeys);
    return { outcome: 'already-retired' };
  }

  const versionCreatedAt = await deps.store.versionCreatedDate(deps.secretArn, record.versionId);
  const verdict = await verifiedRolloutVerdict(
    deps.ecs,
    deps.ecsTarget,
    { record, versionCreatedAt },
    rolloutRecordMismatch(deps.secretArn),
  );
  const why = { ...logKeys, rolloutSince: record.createdAt.toISOString(), rollout: verdict.state, detail: describeVerdict(verdict) };
  switch (verdict.state) {
    case 'in-progress':
      logger.info('A deployment carrying the current value is still rolling out', why);
      return { outcome: 'waiting' };
    case 'failed':
      logger.error('The rollout of the current value failed or was rolled back; the old database role stays enabled', why);
      publishCountMetric(METRIC_RETIREMENT_REFUSED, deps.environment);
      return { outcome: 'refused' };
    case 'not-rolled':
      logger.error(
        'No deployment carries the current value; the old database role stays enabled (bin/fleapo-secrets roll-current DATABASE_URL --env <env>)',
        why,
      );
      publishCountMetric(METRIC_RETIREMENT_STALLED, deps.environment);
      return { outcome: 'stalled' };
    case 'old-tasks':
      logger.warn('Not retiring the old database role: tasks started before the switch still run and may hold the old URL', {
        ...why,
        taskArns: verdict.taskArns,
      });
      publishCountMetric(METRIC_RETIREMENT_BLOCKED, deps.environment);
      return { outcome: 'blocked' };
    case 'rolled-out':
      break;
  }

  // The configuration decides what may be retired, not the secret: AWSCURRENT must name the configured database and
  // an application role, AWSPREVIOUS's role must be the other application role (its host is never used: the
  // retirement logs in to the configured database only), and the master user is never one of them.
  const currentWhat = `Secret ${deps.secretArn}: AWSCURRENT`;
  const current = readConfiguredUrl(await deps.store.getString(deps.secretArn, AWSCURRENT), deps.db, currentWhat);
  const previousValue = await deps.store.findString(deps.secretArn, AWSPREVIOUS);
  const previousWhat = `Secret ${deps.secretArn}: AWSPREVIOUS`;
  const previousUser = previousValue === undefined ? undefined : parseDatabaseSecret(previousValue, previousWhat).url.user;
  if (previousUser === undefined || previousUser === current.user) {
    logger.info('No previous database role to retire', { ...why, role: current.user });
    await deps.store.tag(deps.secretArn, { [TAG_RETIRED_DEPLOYMENT]: rolloutDeployment });
    return { outcome: 'nothing-to-retire' };
  }
  checkApplicationRole(previousUser, deps.db.target, previousWhat);

  const master = parseMasterCredentials(await deps.store.getString(deps.db.masterSecretArn, AWSCURRENT), deps.db.masterSecretArn);
  checkMasterIsNotApplicationRole(master, deps.db.target, deps.db.masterSecretArn);
  const adminTarget = masterLogin(deps.db, master);
  const outcome = await withConnection(adminTarget, deps.db, async (client) => {
    const newSessions = await sessionCount(client, current.user);
    const oldSessions = await sessionCount(client, previousUser);
    if (contain) {
      // The leak's containment: NOLOGIN first (no session can start), then end the ones still open.
      if (await roleExists(client, previousUser)) await retireRole(client, previousUser);
      const terminated = await terminateSessions(client, previousUser);
      logger.warn('Contain: retired the old database role and ended its sessions', {
        ...why,
        oldRole: previousUser,
        oldRoleSessions: oldSessions,
        terminatedSessions: terminated,
        newRole: current.user,
        newRoleSessions: newSessions,
      });
      return { outcome: 'retired' as const, terminated };
    }
    if (newSessions < 1 || oldSessions > 0) {
      logger.warn('Not retiring the old database role: pg_stat_activity does not show the switch yet', {
        ...why,
        newRole: current.user,
        newRoleSessions: newSessions,
        oldRole: previousUser,
        oldRoleSessions: oldSessions,
      });
      return { outcome: 'blocked' as const, terminated: undefined };
    }
    if (await roleExists(client, previousUser)) await retireRole(client, previousUser);
    return { outcome: 'retired' as const, terminated: undefined };
  });
  if (outcome.outcome === 'blocked') {
    publishCountMetric(METRIC_RETIREMENT_BLOCKED, deps.environment);
    return { outcome: 'blocked' };
  }
  await deps.store.tag(deps.secretArn, { [TAG_RETIRED_DEPLOYMENT]: rolloutDeployment });
  publishCountMetric(METRIC_ROLE_RETIRED, deps.environment);
  logger.info('Retired old database role', { ...why, oldRole: previousUser, newRole: current.user });
  return outcome.terminated === undefined
    ? { outcome: 'retired' }
    : { outcome: 'retired', role: previousUser, terminatedSessions: outcome.terminated };
}
