import * as crypto from 'node:crypto';
import { DatabaseSettings, readDatabaseSettings, readEcsTarget } from '../config/env';
import { logger } from '../observability/logger';
import { loginTarget, withConnection, logsIn, LoginTarget } from '../postgres/pg-connection';
import { alternateRole, baseRole, DatabaseSecret, formatPostgresUrl, parseDatabaseSecret, parsePostgresUrl, PostgresUrl } from '../postgres/database-secret';
import { parseMasterCredentials } from '../postgres/master-credentials';
import { actAsBaseRole, createLoginRole, roleExists, sessionCount, setLoginPassword } from '../postgres/role-admin';
import { scramSha256Verifier } from '../postgres/scram-verifier';
import { ecsClient } from '../rotation/aws-clients';
import { rollServiceOnce } from '../rotation/ecs-rollout';
import { TAG_DATABASE_ROLE } from '../rotation/rollout-tags';
import type { RotationContext, RotationPlaybook } from '../rotation/rotation-engine';
import { AWSCURRENT, SecretStore } from '../rotation/secret-store';

export const PASSWORD_BYTES = 32;

/** 32 random bytes as base64url: 43 URL-safe characters. */
export function generateDatabasePassword(): string {
  return crypto.randomBytes(PASSWORD_BYTES).toString('base64url');
}

/**
 * The pending URL for a current value:
 * - URL form (alternating users): the other role of the pair, a new password, same host/port/db/query;
 * - bootstrap JSON form: the JSON's own user with a new password, as a URL. The bootstrap password
 *   was never usable by the app (it was not a URL), so nobody to keep logged in; setSecret then
 *   sets the new password on that role via the master user. The next rotation alternates.
 */
export function nextDatabaseUrl(current: DatabaseSecret, password: string): PostgresUrl {
  const user = current.kind === 'url' ? alternateRole(current.url.user) : current.url.user;
  return { ...current.url, user, password };
}

const what = (secretId: string, stage: string) => `Secret ${secretId}: ${stage}`;

/** The role that `pending` may legitimately re-password: never the role AWSCURRENT's tasks use. */
export function checkPendingRole(current: DatabaseSecret, pending: PostgresUrl, secretId: string): void {
  const expected = current.kind === 'url' ? alternateRole(current.url.user) : current.url.user;
  if (pending.user !== expected) {
    throw new Error(`Secret ${secretId}: AWSPENDING role ${pending.user} is not the expected role ${expected}`);
  }
  if (pending.host !== current.url.host || pending.port !== current.url.port || pending.database !== current.url.database) {
    throw new Error(`Secret ${secretId}: AWSPENDING points at a different database than AWSCURRENT`);
  }
}

async function readMaster(store: SecretStore, settings: DatabaseSettings) {
  return parseMasterCredentials(await store.getString(settings.masterSecretArn, AWSCURRENT), settings.masterSecretArn);
}

/** Runbook "DATABASE_URL" step 1: provision the pending credentials on the database. */
export async function setPendingCredentials(pendingValue: string, currentValue: string, ctx: RotationContext, settings: DatabaseSettings): Promise<void> {
  const pending = parsePostgresUrl(pendingValue, what(ctx.secretId, 'AWSPENDING'));
  const current = parseDatabaseSecret(currentValue, what(ctx.secretId, 'AWSCURRENT'));
  checkPendingRole(current, pending, ctx.secretId);

  if (await logsIn(loginTarget(pending), settings)) {
    logger.info('AWSPENDING already logs in', { role: pending.user });
    return;
  }
  if (current.kind === 'url' && !(await logsIn(loginTarget(current.url), settings))) {
    throw new Error(`Secret ${ctx.secretId}: AWSCURRENT does not log in`);
  }

  const master = await readMaster(ctx.store, settings);
  const adminTarget: LoginTarget = { ...loginTarget(pending), user: master.username, password: master.password };
  await withConnection(adminTarget, settings, async (client) => {
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
  const pending = parsePostgresUrl(pendingValue, what(ctx.secretId, 'AWSPENDING'));
  const base = baseRole(pending.user);
  await withConnection(loginTarget(pending), settings, async (client) => {
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
  generate: (current, ctx) =>
    formatPostgresUrl(nextDatabaseUrl(parseDatabaseSecret(current, what(ctx.secretId, 'AWSCURRENT')), generateDatabasePassword())),
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
