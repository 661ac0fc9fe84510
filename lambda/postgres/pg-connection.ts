import { Client, ClientConfig } from 'pg';
import { DatabaseSettings } from '../config/env';
import { errorName, logger } from '../observability/logger';

export interface LoginTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** The URL's `sslmode`, if it has one (it can only ask for TLS, see sslUse). */
  sslmode?: string;
}

/** How a connection uses TLS: always (certificate verified against the host name), or never. No plaintext fallback. */
export type SslUse = 'require' | 'disable';

/**
 * DB_SSL decides (the stack always sets it; unset is 'require'). A secret's `sslmode` can only ask for TLS: with
 * DB_SSL=disable (a test database without TLS) a URL with `sslmode=require`/`verify-*` still gets TLS, and no
 * `sslmode=disable` in a secret ever turns TLS off.
 */
export function sslUse(target: Pick<LoginTarget, 'sslmode'>, settings: Pick<DatabaseSettings, 'ssl'>): SslUse {
  if (settings.ssl !== 'disable') return 'require';
  switch (target.sslmode) {
    case 'require':
    case 'verify-ca':
    case 'verify-full':
      return 'require';
    default:
      return 'disable';
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

/** Opens a connection, runs `fn`, always closes. Login failures become DatabaseLoginError. */
export async function withConnection<T>(
  target: LoginTarget,
  settings: Pick<DatabaseSettings, 'ssl' | 'connectTimeoutMs'>,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  let client: Client;
  try {
    client = await connect(target, settings, sslUse(target, settings) === 'require');
  } catch (error) {
    throw loginError(target, error);
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
