import { Client, ClientConfig } from 'pg';
import { DatabaseSettings } from '../config/env';
import { errorName, logger } from '../observability/logger';
import type { PostgresUrl } from './database-secret';

export interface LoginTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** The URL's `sslmode`, if it has one. */
  sslmode?: string;
}

/** Where a postgres URL logs in. */
export function loginTarget(url: PostgresUrl): LoginTarget {
  const sslmode = new URLSearchParams(url.query).get('sslmode') ?? undefined;
  return { host: url.host, port: url.port, database: url.database, user: url.user, password: url.password, sslmode };
}

/** How a connection uses TLS: always (certificate verified), never, or when the server offers it (libpq's `prefer`). */
export type SslUse = 'require' | 'disable' | 'prefer';

/** DB_SSL when set (the stack always sets it), else the URL's sslmode, else libpq's default `prefer`. */
export function sslUse(target: Pick<LoginTarget, 'sslmode'>, settings: Pick<DatabaseSettings, 'ssl'>): SslUse {
  if (settings.ssl !== undefined) return settings.ssl;
  switch (target.sslmode) {
    case 'disable':
      return 'disable';
    case 'require':
    case 'verify-ca':
    case 'verify-full':
      return 'require';
    default:
      return 'prefer';
  }
}

/** Upper bound for any single statement the rotation code runs. */
const QUERY_TIMEOUT_MS = 15000;

/** SQLSTATEs meaning "these credentials do not log in" (as opposed to "cannot reach the server"). */
const LOGIN_REJECTED = new Set([
  '28P01', // invalid_password (also: role has no password)
  '28000', // invalid_authorization_specification (no such role, NOLOGIN, pg_hba reject)
]);

function clientConfig(target: LoginTarget, settings: Pick<DatabaseSettings, 'connectTimeoutMs'>, tls: boolean): ClientConfig {
  return {
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    password: target.password,
    // 'require' verifies the server certificate against Node's CAs plus NODE_EXTRA_CA_CERTS
    // (on Lambda: /var/runtime/ca-cert.pem, which includes the RDS CAs).
    ssl: tls ? { rejectUnauthorized: true, servername: target.host } : false,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    query_timeout: QUERY_TIMEOUT_MS,
    application_name: 'fleapo-secrets-rotation',
  };
}

/** A database error described without any credential (pg messages carry none; we add host and role). */
export class DatabaseLoginError extends Error {
  /** Only non-secret fields are kept: loggers serialise an error's own properties. */
  readonly host: string;
  readonly port: number;
  readonly role: string;

  constructor(
    target: Pick<LoginTarget, 'host' | 'port' | 'user'>,
    readonly code: string | undefined,
    readonly rejected: boolean,
  ) {
    super(
      rejected
        ? `Database ${target.host}:${target.port} rejected login of role ${target.user} (${code})`
        : `Cannot connect to database ${target.host}:${target.port} as role ${target.user} (${code ?? 'connection error'})`,
    );
    this.name = 'DatabaseLoginError';
    this.host = target.host;
    this.port = target.port;
    this.role = target.user;
  }
}

/** The error pg raises when TLS was asked for and the server does not offer it. */
const NO_SERVER_TLS = /does not support SSL/i;

/** Opens a connection, runs `fn`, always closes. Login failures become DatabaseLoginError. */
export async function withConnection<T>(
  target: LoginTarget,
  settings: Pick<DatabaseSettings, 'ssl' | 'connectTimeoutMs'>,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const use = sslUse(target, settings);
  let client: Client;
  try {
    client = await connect(target, settings, use !== 'disable');
  } catch (error) {
    // `prefer` falls back to a plain connection only when the server has no TLS at all, never on a bad certificate.
    if (use !== 'prefer' || !NO_SERVER_TLS.test((error as Error).message ?? '')) throw loginError(target, error);
    try {
      client = await connect(target, settings, false);
    } catch (plainError) {
      throw loginError(target, plainError);
    }
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function connect(target: LoginTarget, settings: Pick<DatabaseSettings, 'connectTimeoutMs'>, tls: boolean): Promise<Client> {
  const client = new Client(clientConfig(target, settings, tls));
  client.on('error', (error) => logger.warn('Database connection error', { role: target.user, code: errorName(error) }));
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

function loginError(target: LoginTarget, error: unknown): DatabaseLoginError {
  const code = errorName(error);
  return new DatabaseLoginError(target, code, code !== undefined && LOGIN_REJECTED.has(code));
}

/** True if the credentials log in; false if the server rejects them; throws if the server is unreachable. */
export async function logsIn(target: LoginTarget, settings: Pick<DatabaseSettings, 'ssl' | 'connectTimeoutMs'>): Promise<boolean> {
  try {
    await withConnection(target, settings, async (client) => {
      await client.query('SELECT 1');
    });
    return true;
  } catch (error) {
    if (error instanceof DatabaseLoginError && error.rejected) return false;
    throw error;
  }
}
