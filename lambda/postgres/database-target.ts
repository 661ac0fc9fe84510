/**
 * The database functions trust the stack's configuration (DB_HOST, DB_PORT, DB_NAME, DB_APP_USER), not the content
 * of the secret they rotate: whoever can write DATABASE_URL must not be able to point the master credentials at a
 * host of their choosing, nor make the rotation re-password or retire the master user or any role outside the
 * application pair. Every check throws before anything is sent; messages name hosts and roles, never a password.
 */
import type { DatabaseSettings, DatabaseTarget } from '../config/env';
import type { MasterCredentials } from './master-credentials';
import { CLONE_SUFFIX, type PostgresUrl } from './database-secret';
import type { LoginTarget } from './pg-connection';

const describeTarget = (t: { host: string; port: number; database: string }) => `${t.host}:${t.port}/${t.database}`;

/** The two roles the rotation may use: the application role and its alternate. */
export function applicationRoles(target: DatabaseTarget): [string, string] {
  return [target.appUser, `${target.appUser}${CLONE_SUFFIX}`];
}

/** `url` must name the configured host, port and database (host names compare case-insensitively). */
export function checkSecretTarget(url: Pick<PostgresUrl, 'host' | 'port' | 'database'>, target: DatabaseTarget, what: string): void {
  const same = url.host.toLowerCase() === target.host.toLowerCase() && url.port === target.port && url.database === target.database;
  if (!same) {
    throw new Error(
      `${what} points at database ${describeTarget(url)}, not the configured ${describeTarget(target)} ` +
        '(DB_HOST, DB_PORT, DB_NAME): refused, nothing was sent to either',
    );
  }
}

/** `role` must be the application role or its alternate. */
export function checkApplicationRole(role: string, target: DatabaseTarget, what: string): void {
  const [base, clone] = applicationRoles(target);
  if (role !== base && role !== clone) {
    throw new Error(`${what} names role ${role}, which is neither the application role ${base} nor ${clone} (DB_APP_USER): refused`);
  }
}

/** Target and role of a DATABASE_URL value (either form) against the configuration. */
export function checkConfiguredSecret(url: PostgresUrl, settings: Pick<DatabaseSettings, 'target'>, what: string): void {
  checkSecretTarget(url, settings.target, what);
  checkApplicationRole(url.user, settings.target, what);
}

/** The master user must not be one of the application roles: the rotation would re-password or retire it. */
export function checkMasterIsNotApplicationRole(master: MasterCredentials, target: DatabaseTarget, masterSecretId: string): void {
  if (applicationRoles(target).includes(master.username)) {
    throw new Error(
      `The master user ${master.username} of ${masterSecretId} is one of the application roles ${applicationRoles(target).join(', ')} ` +
        '(DB_APP_USER): refusing to use the master user as an application role',
    );
  }
}

/** A login of `user` at the configured database: never a host, port or database from a secret. */
export function configuredLogin(
  settings: Pick<DatabaseSettings, 'target'>,
  credentials: { user: string; password: string },
  sslmode?: string,
): LoginTarget {
  const { host, port, database } = settings.target;
  return { host, port, database, user: credentials.user, password: credentials.password, sslmode };
}

/** The master login: the configured database only, with the configured TLS (no sslmode from any secret). */
export function masterLogin(settings: Pick<DatabaseSettings, 'target'>, master: MasterCredentials): LoginTarget {
  return configuredLogin(settings, { user: master.username, password: master.password });
}

/** An application login for a checked `url`, sent to the configured database. */
export function applicationLogin(settings: Pick<DatabaseSettings, 'target'>, url: PostgresUrl): LoginTarget {
  const sslmode = new URLSearchParams(url.query).get('sslmode') ?? undefined;
  return configuredLogin(settings, { user: url.user, password: url.password }, sslmode);
}
