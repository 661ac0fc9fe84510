import { RotationRefusal } from './rotation-refusal';

/**
 * The DATABASE_URL secret's two accepted forms:
 * - `postgres://USER:PASSWORD@HOST:PORT/DB[?query]` (what the app reads), and
 * - bootstrap: the RDS-style JSON `{"username","password","host","port","dbname","sslmode"?}`
 *   that the CDK stack creates with a generated password (CloudFormation cannot template a
 *   generated password into a URL). The first rotation turns it into a URL.
 * Parse errors name the secret and stage, never the value.
 */
export interface PostgresUrl {
  scheme: 'postgres' | 'postgresql';
  user: string;
  password: string;
  host: string;
  port: number;
  database: string;
  /** Raw query string including the leading '?', or '' (preserved verbatim, e.g. `?sslmode=require`). */
  query: string;
}

export type DatabaseSecret = { kind: 'url'; url: PostgresUrl } | { kind: 'bootstrap'; url: PostgresUrl };

export const DEFAULT_PORT = 5432;
export const DEFAULT_DATABASE = 'postgres';

function invalid(what: string, problem: string): Error {
  return new RotationRefusal(`${what} ${problem}`);
}

/** Parses a postgres:// URL; `what` names it in errors (e.g. "Secret X: AWSCURRENT"). */
export function parsePostgresUrl(value: string, what: string): PostgresUrl {
  const match = /^(postgres|postgresql):\/\//.exec(value);
  if (!match) throw invalid(what, 'is not a postgres:// URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(what, 'is not a postgres:// URL');
  }
  const user = safeDecode(url.username);
  const password = safeDecode(url.password);
  const database = safeDecode(url.pathname.replace(/^\//, ''));
  if (user === undefined || user === '') throw invalid(what, 'is a URL without a user name');
  if (password === undefined || password === '') throw invalid(what, 'is a URL without a password');
  if (url.hostname === '') throw invalid(what, 'is a URL without a host');
  if (database === undefined || database === '' || database.includes('/')) throw invalid(what, 'is a URL without a database name');
  const port = url.port === '' ? DEFAULT_PORT : Number(url.port);
  return { scheme: match[1] as PostgresUrl['scheme'], user, password, host: url.hostname, port, database, query: url.search };
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export function formatPostgresUrl(url: PostgresUrl): string {
  const e = encodeURIComponent;
  return `${url.scheme}://${e(url.user)}:${e(url.password)}@${url.host}:${url.port}/${e(url.database)}${url.query}`;
}

/** The fields of the bootstrap JSON the stack writes (lib/constructs/environment-secrets.ts): nothing else is accepted. */
export const BOOTSTRAP_FIELDS = ['username', 'password', 'host', 'port', 'dbname', 'sslmode'] as const;

/** A field or query key named in an error: a plain identifier, else only counted (it could be anything a writer put there). */
export function describeNames(names: readonly string[]): string {
  const plain = names.filter((n) => /^[A-Za-z_][A-Za-z0-9_-]{0,39}$/.test(n));
  const others = names.length - plain.length;
  return [...plain, ...(others > 0 ? [`${others} other${others > 1 ? 's' : ''}`] : [])].join(', ');
}

/** Parses the bootstrap RDS JSON form into URL parts (only the fields the stack writes: any other is refused). */
export function parseBootstrapJson(value: string, what: string): PostgresUrl {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw invalid(what, 'is neither a postgres:// URL nor RDS JSON credentials');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw invalid(what, 'is neither a postgres:// URL nor RDS JSON credentials');
  const j = json as Record<string, unknown>;
  const extra = Object.keys(j).filter((k) => !(BOOTSTRAP_FIELDS as readonly string[]).includes(k));
  if (extra.length > 0) throw invalid(what, `is JSON credentials with field(s) the stack does not write: ${describeNames(extra)}`);
  if (typeof j.username !== 'string' || j.username === '') throw invalid(what, 'is JSON credentials without a username');
  if (typeof j.password !== 'string' || j.password === '') throw invalid(what, 'is JSON credentials without a password');
  if (typeof j.host !== 'string' || j.host === '') throw invalid(what, 'is JSON credentials without a host');
  const port = j.port === undefined ? DEFAULT_PORT : Number(j.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw invalid(what, 'is JSON credentials with an invalid port');
  const database = typeof j.dbname === 'string' && j.dbname !== '' ? j.dbname : DEFAULT_DATABASE;
  const query = typeof j.sslmode === 'string' && j.sslmode !== '' ? `?sslmode=${encodeURIComponent(j.sslmode)}` : '';
  return { scheme: 'postgres', user: j.username, password: j.password, host: j.host, port, database, query };
}

/** Either form; errors name the secret and stage. */
export function parseDatabaseSecret(value: string, what: string): DatabaseSecret {
  if (value.trimStart().startsWith('{')) return { kind: 'bootstrap', url: parseBootstrapJson(value, what) };
  return { kind: 'url', url: parsePostgresUrl(value, what) };
}

export const CLONE_SUFFIX = '_clone';
/** PostgreSQL's identifier length limit (NAMEDATALEN - 1). */
const MAX_ROLE_NAME_BYTES = 63;

/** AWS's alternating-users naming: `x_clone` <-> `x`. */
export function alternateRole(user: string): string {
  const other = user.endsWith(CLONE_SUFFIX) ? user.slice(0, -CLONE_SUFFIX.length) : user + CLONE_SUFFIX;
  if (other === '') throw new Error(`Role ${user} has no base name`);
  if (Buffer.byteLength(other) > MAX_ROLE_NAME_BYTES) throw new Error(`Role name ${other} is longer than 63 bytes`);
  return other;
}

/** The base role of an alternating pair (the one without `_clone`). */
export function baseRole(user: string): string {
  return user.endsWith(CLONE_SUFFIX) && user.length > CLONE_SUFFIX.length ? user.slice(0, -CLONE_SUFFIX.length) : user;
}
