/**
 * Environment-variable contract between the CDK stack and the rotation Lambdas.
 * The CDK side sets exactly these names; a missing required one fails with an error naming it.
 */
export const ENV_POWERTOOLS_SERVICE_NAME = 'POWERTOOLS_SERVICE_NAME';
export const ENV_POWERTOOLS_LOG_LEVEL = 'POWERTOOLS_LOG_LEVEL';
/** ECS cluster ARN (all handlers). */
export const ENV_ECS_CLUSTER = 'ECS_CLUSTER';
/** ECS service ARN or name (all handlers). */
export const ENV_ECS_SERVICE = 'ECS_SERVICE';
/** ARN of the RDS master-credentials secret, JSON {"username","password",...} (database handlers). */
export const ENV_MASTER_SECRET_ARN = 'MASTER_SECRET_ARN';
/**
 * 'require' (TLS, certificate verified against the configured host) | 'disable' (database handlers). The stack always
 * sets it from `database.ssl`; unset means 'require'. The secret's own `sslmode` can only ask for TLS, never turn it
 * off. 'disable' is refused when FLEAPO_ENVIRONMENT is a production environment (see {@link isProductionEnvironment}):
 * it exists for a database without TLS in a test.
 */
export const ENV_DB_SSL = 'DB_SSL';
/**
 * The configured database (database handlers), from the stack's `database` configuration: every login goes to
 * DB_HOST:DB_PORT/DB_NAME, and a secret naming another target, or a role other than DB_APP_USER and
 * `<DB_APP_USER>_clone`, is refused before anything is sent.
 */
export const ENV_DB_HOST = 'DB_HOST';
export const ENV_DB_PORT = 'DB_PORT';
export const ENV_DB_NAME = 'DB_NAME';
export const ENV_DB_APP_USER = 'DB_APP_USER';
/** Connect timeout for every database login, in ms. Default 5000 (database handlers). */
export const ENV_DB_CONNECT_TIMEOUT_MS = 'DB_CONNECT_TIMEOUT_MS';
/**
 * The AWS SDK's own endpoint overrides (read by the SDK, not by this code). The stack sets them on the database
 * functions to the endpoint-specific DNS names of the interface endpoints it creates (`network.createInterfaceEndpoints`),
 * whose private DNS stays off so that nothing else in the VPC changes where it sends these APIs' requests.
 */
export const ENV_AWS_ENDPOINT_URL_SECRETS_MANAGER = 'AWS_ENDPOINT_URL_SECRETS_MANAGER';
export const ENV_AWS_ENDPOINT_URL_ECS = 'AWS_ENDPOINT_URL_ECS';
/** ARN of the database-url secret watched by the role-retirement handler. */
export const ENV_SECRET_ARN = 'SECRET_ARN';
/** Optional: value of the `Environment` dimension of the retirement metrics (omitted when unset). */
export const ENV_FLEAPO_ENVIRONMENT = 'FLEAPO_ENVIRONMENT';

/**
 * Which externally issued secret the external-secret rotation function rotates:
 * 'stripe-secret-key' | 'stripe-webhook-secret' | 'posthog-api-key' (external-secret handler).
 */
export const ENV_EXTERNAL_SECRET_KIND = 'EXTERNAL_SECRET_KIND';
/** 'live' (prod: sk_live_/rk_live_) | 'test' (staging: sk_test_/rk_test_). Required for stripe-secret-key. */
export const ENV_STRIPE_MODE = 'STRIPE_MODE';
/** Optional: Stripe API origin the key is checked against. Default {@link DEFAULT_STRIPE_API_BASE}. */
export const ENV_STRIPE_API_BASE = 'STRIPE_API_BASE';
/** Optional: PostHog API origin the project token is checked against. Default {@link DEFAULT_POSTHOG_API_HOST}. */
export const ENV_POSTHOG_API_HOST = 'POSTHOG_API_HOST';

export const DEFAULT_STRIPE_API_BASE = 'https://api.stripe.com';
export const DEFAULT_POSTHOG_API_HOST = 'https://us.i.posthog.com';

export const DEFAULT_DB_CONNECT_TIMEOUT_MS = 5000;

export type DbSslMode = 'require' | 'disable';

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`Missing required environment variable ${name}`);
  }
  return value;
}

export function optionalEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

export interface EcsTarget {
  cluster: string;
  service: string;
}

export function readEcsTarget(env: NodeJS.ProcessEnv = process.env): EcsTarget {
  return { cluster: requireEnv(ENV_ECS_CLUSTER, env), service: requireEnv(ENV_ECS_SERVICE, env) };
}

/** The database the stack configured: the only place any credential (the master's above all) is sent. */
export interface DatabaseTarget {
  host: string;
  port: number;
  database: string;
  /** The application role; the rotation alternates it with `<appUser>_clone`. */
  appUser: string;
}

export interface DatabaseSettings {
  masterSecretArn: string;
  /** From DB_SSL (default 'require'). */
  ssl: DbSslMode;
  connectTimeoutMs: number;
  target: DatabaseTarget;
}

/** Environment names (FLEAPO_ENVIRONMENT, configuration keys) that are production: no plaintext database login. */
export const PRODUCTION_ENVIRONMENT_NAMES: readonly string[] = ['prod', 'production'];

export function isProductionEnvironment(name: string | undefined): boolean {
  return name !== undefined && PRODUCTION_ENVIRONMENT_NAMES.includes(name.toLowerCase());
}

/** Reads and checks the database handlers' variables, naming the first missing or invalid one. */
export function readDatabaseSettings(env: NodeJS.ProcessEnv = process.env): DatabaseSettings {
  const masterSecretArn = requireEnv(ENV_MASTER_SECRET_ARN, env);
  const ssl = optionalEnv(ENV_DB_SSL, env) ?? 'require';
  if (ssl !== 'require' && ssl !== 'disable') {
    throw new Error(`Environment variable ${ENV_DB_SSL} must be 'require' or 'disable'`);
  }
  const environment = optionalEnv(ENV_FLEAPO_ENVIRONMENT, env);
  if (ssl === 'disable' && isProductionEnvironment(environment)) {
    throw new Error(`Environment variable ${ENV_DB_SSL} must be 'require' in the production environment ${environment}`);
  }
  const rawTimeout = optionalEnv(ENV_DB_CONNECT_TIMEOUT_MS, env);
  const connectTimeoutMs = rawTimeout === undefined ? DEFAULT_DB_CONNECT_TIMEOUT_MS : Number(rawTimeout);
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs <= 0) {
    throw new Error(`Environment variable ${ENV_DB_CONNECT_TIMEOUT_MS} must be a positive integer`);
  }
  const host = requireEnv(ENV_DB_HOST, env).trim().toLowerCase();
  const port = Number(requireEnv(ENV_DB_PORT, env));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`Environment variable ${ENV_DB_PORT} must be a port number`);
  }
  const database = requireEnv(ENV_DB_NAME, env);
  const appUser = requireEnv(ENV_DB_APP_USER, env);
  if (appUser.endsWith('_clone')) {
    throw new Error(`Environment variable ${ENV_DB_APP_USER} must be the base application role, not its _clone`);
  }
  return { masterSecretArn, ssl, connectTimeoutMs, target: { host, port, database, appUser } };
}

/** Comma-separated ARNs of the Stripe secrets whose completed rollouts are announced (stripe-revoke-notice). */
export const ENV_NOTICE_SECRET_ARNS = 'NOTICE_SECRET_ARNS';
/** ARN of the environment's alert topic (stripe-revoke-notice). */
export const ENV_ALERT_TOPIC_ARN = 'ALERT_TOPIC_ARN';
