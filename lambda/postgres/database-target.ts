/**
 * The database functions trust the stack's configuration (DB_HOST, DB_PORT, DB_NAME, DB_APP_USER), not the content
 * of the secret they rotate: whoever can write DATABASE_URL must not be able to point the master credentials at a
 * host of their choosing, nor make the rotation re-password or retire the master user or any role outside the
 * application pair. Every check throws before anything is sent; messages name hosts and roles, never a password.
 */
import type { DatabaseSettings, DatabaseTarget, DbSslMode } from '../config/env';
import type { MasterCredentials } from './master-credentials';
import {
  CLONE_SUFFIX,
  DatabaseSecret,
  describeNames,
  formatPostgresUrl,
  parseDatabaseSecret,
  parsePostgresUrl,
  type PostgresUrl,
} from '../../runtime/database-secret';
import type { LoginTarget } from './pg-connection';
import { RotationRefusal } from '../../runtime/rotation-refusal';

const describeTarget = (t: { host: string; port: number; database: string }) => `${t.host}:${t.port}/${t.database}`;

/** The two roles the rotation may use: the application role and its alternate. */
export function applicationRoles(target: DatabaseTarget): [string, string] {
  return [target.appUser, `${target.appUser}${CLONE_SUFFIX}`];
}

/** `url` must name the configured host, port and database (host names compare case-insensitively). */
export function checkSecretTarget(url: Pick<PostgresUrl, 'host' | 'port' | 'database'>, target: DatabaseTarget, what: string): void {
  const same = url.host.toLowerCase() === target.host.toLowerCase() && url.port === target.port && url.database === target.database;
  if (!same) {
    throw new RotationRefusal(
      `${what} points at database ${describeTarget(url)}, not the configured ${describeTarget(target)} ` +
        '(DB_HOST, DB_PORT, DB_NAME): refused, nothing was sent to either',
    );
  }
}

/** `role` must be the application role or its alternate. */
export function checkApplicationRole(role: string, target: DatabaseTarget, what: string): void {
  const [base, clone] = applicationRoles(target);
  if (role !== base && role !== clone) {
    throw new RotationRefusal(
      `${what} names role ${role}, which is neither the application role ${base} nor ${clone} (DB_APP_USER): refused`,
    );
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
    throw new RotationRefusal(
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

/**
 * The query of every DATABASE_URL the rotation writes: exactly what DB_SSL asks for. `require`: `?sslmode=require`
 * (TLS; pg 8 treats it as `verify-full`: the certificate is verified against the host); `disable` (a test database
 * without TLS): no query. Nothing else: pg (pg-connection-string) copies every query key into its connection
 * settings, and `host`, `port`, `user`, `password`, `sslmode`, `ssl`, `sslcert`/`sslkey`/`sslrootcert` (files read
 * by the client), `options`, ... there override the URL.
 */
export function configuredQuery(ssl: DbSslMode): string {
  return ssl === 'require' ? '?sslmode=require' : '';
}

/** The DATABASE_URL for `role` and `password`, built from the configuration alone (host, port, database, TLS). */
export function buildDatabaseUrl(settings: Pick<DatabaseSettings, 'target' | 'ssl'>, role: string, password: string): string {
  const { host, port, database } = settings.target;
  return formatPostgresUrl({ scheme: 'postgres', user: role, password, host, port, database, query: configuredQuery(settings.ssl) });
}

/** A URL cut into its parts as written (no decoding): `scheme://userinfo@hostport/path?query#fragment`. */
function urlParts(value: string): Record<'userinfo' | 'hostport' | 'path' | 'query' | 'fragment', string> {
  const m = /^[a-z]+:\/\/(?:([^@/?#]*)@)?([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/s.exec(value);
  return { userinfo: m?.[1] ?? '', hostport: m?.[2] ?? '', path: m?.[3] ?? '', query: m?.[4] ?? '', fragment: m?.[5] ?? '' };
}

/** Which part of `value` differs from `expected`: a part's name (and query key names), never its content. */
function differingPart(value: string, expected: string): string {
  const a = urlParts(value);
  const b = urlParts(expected);
  if (a.query !== b.query) {
    const keys = [...new Set(new URLSearchParams(a.query).keys())];
    const wanted = b.query === '' ? 'no query' : `"${b.query}" only`;
    return keys.length === 0
      ? `its query (the configuration asks for ${wanted})`
      : `its query key(s) ${describeNames(keys)} (the configuration asks for ${wanted})`;
  }
  if (a.fragment !== b.fragment) return 'its fragment';
  if (a.userinfo !== b.userinfo) return 'its user information (role and password, encoded as the rotation writes them)';
  if (a.hostport !== b.hostport) return 'its host and port (written as the configuration writes them)';
  if (a.path !== b.path) return 'its path (the configured database name only)';
  return 'its form';
}

/**
 * A DATABASE_URL value as the rotation would write it for its role and password, or refused: target and role (the
 * messages of checkConfiguredSecret), then the whole string against {@link buildDatabaseUrl} (a query key, a
 * fragment, another spelling of the host, port or path, a differently encoded user information), naming the part.
 * Either scheme (`postgres`, `postgresql`) is read the same by pg; the rotation writes `postgres`.
 */
export function readConfiguredUrl(value: string, settings: Pick<DatabaseSettings, 'target' | 'ssl'>, what: string): PostgresUrl {
  const url = parsePostgresUrl(value, what);
  checkConfiguredSecret(url, settings, what);
  const expected = buildDatabaseUrl(settings, url.user, url.password).replace(/^postgres:/, `${url.scheme}:`);
  if (value !== expected) {
    throw new RotationRefusal(
      `${what} is refused: ${differingPart(value, expected)} is not what the configuration produces (DB_HOST, DB_PORT, DB_NAME, DB_SSL); nothing was sent`,
    );
  }
  return url;
}

/**
 * Either form of a DATABASE_URL value, refused unless it is what the configuration produces: a URL as
 * {@link readConfiguredUrl}; the bootstrap JSON with only the stack's fields, the configured target, an application
 * role and, if it has one, the configured `sslmode`.
 */
export function readConfiguredSecret(value: string, settings: Pick<DatabaseSettings, 'target' | 'ssl'>, what: string): DatabaseSecret {
  const secret = parseDatabaseSecret(value, what);
  if (secret.kind === 'url') return { kind: 'url', url: readConfiguredUrl(value, settings, what) };
  checkConfiguredSecret(secret.url, settings, what);
  const sslmode = new URLSearchParams(secret.url.query).get('sslmode');
  if (sslmode !== null && sslmode !== settings.ssl) {
    throw new RotationRefusal(`${what} is refused: its field "sslmode" is not the configured DB_SSL (${settings.ssl}); nothing was sent`);
  }
  return secret;
}
