import * as crypto from 'node:crypto';
import { DatabaseSettings, readDatabaseSettings, readEcsTarget } from '../config/env';
import { logger } from '../observability/logger';
import { withConnection, logsIn } from '../postgres/pg-connection';
import {
  applicationLogin,
  buildDatabaseUrl,
  checkMasterIsNotApplicationRole,
  masterLogin,
  readConfiguredSecret,
  readConfiguredUrl,
} from '../postgres/database-target';
import { alternateRole, baseRole, DatabaseSecret, parsePostgresUrl, PostgresUrl } from '../../runtime/database-secret';
import { MasterCredentials, parseMasterCredentials } from '../postgres/master-credentials';
import { actAsBaseRole, createLoginRole, roleExists, sessionCount, setLoginPassword } from '../postgres/role-admin';
import { scramSha256Verifier } from '../postgres/scram-verifier';
import { ecsClient } from '../rotation/aws-clients';
import { rollServiceOnce } from '../rotation/ecs-rollout';
import { TAG_DATABASE_ROLE } from '../../catalog/tags';
import type { RotationContext, RotationPlaybook } from '../rotation/rotation-engine';
import { AWSCURRENT, SecretStore } from '../../runtime/secret-store';
import { RotationRefusal } from '../../runtime/rotation-refusal';

export const PASSWORD_BYTES = 32;

/** 32 random bytes as base64url: 43 URL-safe characters. */
export function generateDatabasePassword(): string {
  return crypto.randomBytes(PASSWORD_BYTES).toString('base64url');
}

/**
 * The role of the pending URL for a current value:
 * - URL form (alternating users): the other role of the pair;
 * - bootstrap JSON form: the JSON's own user. The bootstrap password was never usable by the app (it was not a
 *   URL), so nobody to keep logged in; setSecret then sets the new password on that role via the master user. The
 *   next rotation alternates.
 * The pending URL itself is built from the configuration (buildDatabaseUrl): nothing of the current value but the
 * role it implies is copied.
 */
export function nextRole(current: DatabaseSecret): string {
  return current.kind === 'url' ? alternateRole(current.url.user) : current.url.user;
}

const what = (secretId: string, stage: string) => `Secret ${secretId}: ${stage}`;

/** The role that `pending` may legitimately re-password: never the role AWSCURRENT's tasks use. */
export function checkPendingRole(current: DatabaseSecret, pending: PostgresUrl, secretId: string): void {
  const expected = nextRole(current);
  if (pending.user !== expected) {
    throw new RotationRefusal(`Secret ${secretId}: AWSPENDING role ${pending.user} is not the expected role ${expected}`);
  }
}

/** The master credentials, refused when the master user is one of the application roles. */
async function readMaster(store: SecretStore, settings: DatabaseSettings): Promise<MasterCredentials> {
  const master = parseMasterCredentials(await store.getString(settings.masterSecretArn, AWSCURRENT), settings.masterSecretArn);
  checkMasterIsNotApplicationRole(master, settings.target, settings.masterSecretArn);
  return master;
}

/** AWSCURRENT, refused unless it is what the configuration produces for an application role (readConfiguredSecret). */
function readCurrent(currentValue: string, secretId: string, settings: DatabaseSettings): DatabaseSecret {
  return readConfiguredSecret(currentValue, settings, what(secretId, 'AWSCURRENT'));
}

/** AWSPENDING, refused unless it is the URL the configuration produces for an application role (readConfiguredUrl). */
function readPending(pendingValue: string, secretId: string, settings: DatabaseSettings): PostgresUrl {
  return readConfiguredUrl(pendingValue, settings, what(secretId, 'AWSPENDING'));
}

/**
 * createSecret: the next URL, only for an AWSCURRENT that names the configured database and an application role, with
 * a master user that is not one of them (checked here so that a refused secret leaves no AWSPENDING value behind).
 */
export async function generatePendingUrl(currentValue: string, ctx: RotationContext, settings: DatabaseSettings): Promise<string> {
  const current = readCurrent(currentValue, ctx.secretId, settings);
  await readMaster(ctx.store, settings);
  return buildDatabaseUrl(settings, nextRole(current), generateDatabasePassword());
}

/** Runbook "DATABASE_URL" step 1: provision the pending credentials on the database. */
export async function setPendingCredentials(
  pendingValue: string,
  currentValue: string,
  ctx: RotationContext,
  settings: DatabaseSettings,
): Promise<void> {
  const pending = readPending(pendingValue, ctx.secretId, settings);
  const current = readCurrent(currentValue, ctx.secretId, settings);
  checkPendingRole(current, pending, ctx.secretId);
  const master = await readMaster(ctx.store, settings);

  if (await logsIn(applicationLogin(settings, pending), settings)) {
    logger.info('AWSPENDING already logs in', { role: pending.user });
    return;
  }
  if (current.kind === 'url' && !(await logsIn(applicationLogin(settings, current.url), settings))) {
    throw new Error(`Secret ${ctx.secretId}: AWSCURRENT does not log in`);
  }

  await withConnection(masterLogin(settings, master), settings, async (client) => {
    const sessions = await sessionCount(client, pending.user);
    if (sessions > 0) {
      throw new Error(
        `Role ${pending.user} still has ${sessions} session(s) in pg_stat_activity; refusing to change its password ` +
          'while tasks of the previous rollout use it (retire it first)',
      );
    }
    const verifier = scramSha256Verifier(pending.password);
    const base = baseRole(pending.user);
    const memberOf = base === pending.user ? undefined : base;
    if (await roleExists(client, pending.user)) {
      await setLoginPassword(client, pending.user, verifier);
      logger.info('Set new password on existing role', { role: pending.user });
    } else {
      await createLoginRole(client, pending.user, verifier, memberOf);
      logger.info('Created role', { role: pending.user, memberOf });
    }
    if (memberOf !== undefined) await actAsBaseRole(client, pending.user, memberOf);
  });
}

/** testSecret: the pending URL logs in and has what the base role has. */
export async function testPendingCredentials(pendingValue: string, ctx: RotationContext, settings: DatabaseSettings): Promise<void> {
  const pending = readPending(pendingValue, ctx.secretId, settings);
  const base = baseRole(pending.user);
  await withConnection(applicationLogin(settings, pending), settings, async (client) => {
    await client.query('SELECT 1');
    const result = await client.query<{ can_connect: boolean; is_member: boolean }>(
      `SELECT has_database_privilege(current_user, current_database(), 'CONNECT') AS can_connect,
              (current_user = $1 OR pg_has_role(current_user, $1, 'USAGE')) AS is_member`,
      [base],
    );
    const row = result.rows[0];
    if (!row?.can_connect) throw new Error(`Secret ${ctx.secretId}: role ${pending.user} lacks CONNECT on database ${pending.database}`);
    if (!row.is_member) throw new Error(`Secret ${ctx.secretId}: role ${pending.user} does not have the privileges of role ${base}`);
  });
  logger.info('AWSPENDING logs in and has the base role privileges', { role: pending.user });
}

/** Runbook "DATABASE_URL": alternating users; retirement of the old user is database-role-retirement's job. */
export const databaseUrlPlaybook: RotationPlaybook = {
  checkConfiguration: () => {
    readEcsTarget();
    readDatabaseSettings();
  },
  generate: (current, ctx) => generatePendingUrl(current, ctx, readDatabaseSettings()),
  set: (pending, current, ctx) => setPendingCredentials(pending, current, ctx, readDatabaseSettings()),
  test: (pending, ctx) => testPendingCredentials(pending, ctx, readDatabaseSettings()),
  afterFinish: async (ctx) => {
    await rollServiceOnce(ctx, ecsClient(), readEcsTarget());
    await recordCurrentRole(ctx);
  },
};

/**
 * Tags the secret with the role its current URL logs in as (`fleapo:database-role`), so that `fleapo-secrets status`
 * can tell which role is current without reading the value. A role name is not a credential. Best effort: the
 * rotation is complete and rolled out; a lost record only leaves `status` without the name.
 */
async function recordCurrentRole(ctx: RotationContext): Promise<void> {
  try {
    const role = parsePostgresUrl(await ctx.store.getString(ctx.secretId, AWSCURRENT, ctx.token), 'AWSCURRENT').user;
    if (ctx.description.tags[TAG_DATABASE_ROLE] !== role) await ctx.store.tag(ctx.secretId, { [TAG_DATABASE_ROLE]: role });
  } catch (error) {
    logger.warn('Could not record the current database role on the secret', { errorName: (error as Error).name });
  }
}
