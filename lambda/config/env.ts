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
 * 'require' (TLS, certificate verified) | 'disable' (database handlers). The stack always sets it. When unset, the
 * URL's `sslmode` decides, and without one libpq's default `prefer` applies (TLS, certificate verified, when the
 * server offers it).
 */
export const ENV_DB_SSL = 'DB_SSL';
/** Connect timeout for every database login, in ms. Default 5000 (database handlers). */
export const ENV_DB_CONNECT_TIMEOUT_MS = 'DB_CONNECT_TIMEOUT_MS';
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

export interface DatabaseSettings {
  masterSecretArn: string;
  /** From DB_SSL; when unset, the URL's `sslmode` decides (see pg-connection.ts). */
  ssl: DbSslMode | undefined;
  connectTimeoutMs: number;
}

export function readDatabaseSettings(env: NodeJS.ProcessEnv = process.env): DatabaseSettings {
  const masterSecretArn = requireEnv(ENV_MASTER_SECRET_ARN, env);
  const ssl = optionalEnv(ENV_DB_SSL, env);
  if (ssl !== undefined && ssl !== 'require' && ssl !== 'disable') {
    throw new Error(`Environment variable ${ENV_DB_SSL} must be 'require' or 'disable'`);
  }
  const rawTimeout = optionalEnv(ENV_DB_CONNECT_TIMEOUT_MS, env);
  const connectTimeoutMs = rawTimeout === undefined ? DEFAULT_DB_CONNECT_TIMEOUT_MS : Number(rawTimeout);
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs <= 0) {
    throw new Error(`Environment variable ${ENV_DB_CONNECT_TIMEOUT_MS} must be a positive integer`);
  }
  return { masterSecretArn, ssl, connectTimeoutMs };
}

/** Comma-separated ARNs of the Stripe secrets whose completed rollouts are announced (stripe-revoke-notice). */
export const ENV_NOTICE_SECRET_ARNS = 'NOTICE_SECRET_ARNS';
/** ARN of the environment's alert topic (stripe-revoke-notice). */
export const ENV_ALERT_TOPIC_ARN = 'ALERT_TOPIC_ARN';
