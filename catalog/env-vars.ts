/**
 * Environment-variable contract between the CDK stack and the rotation Lambdas: the one place each name is written.
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
/** Node.js reads it at start: the database functions set it to the Lambda runtime's CA bundle, which has the RDS CAs. */
export const ENV_NODE_EXTRA_CA_CERTS = 'NODE_EXTRA_CA_CERTS';
/** ARN of the database-url secret watched by the role-retirement handler. */
export const ENV_SECRET_ARN = 'SECRET_ARN';
/** Optional: value of the `Environment` dimension of the retirement metrics (omitted when unset). */
export const ENV_FLEAPO_ENVIRONMENT = 'FLEAPO_ENVIRONMENT';

/**
 * Which issuer-created secret the external-secret rotation function rotates: its catalog name (catalog/secrets.ts),
 * e.g. `STRIPE_SECRET_KEY`. The issuers' own settings (STRIPE_MODE, POSTHOG_API_HOST, ...) are each issuer's, in
 * runtime/issuers/<issuer>.ts.
 */
export const ENV_EXTERNAL_SECRET_NAME = 'EXTERNAL_SECRET_NAME';

/**
 * The secrets whose completed rollouts the revoke notice announces, as comma-separated `<catalog name>=<secret ARN>`
 * pairs (stripe-revoke-notice): the text comes from each secret's issuer.
 */
export const ENV_NOTICE_SECRET_ARNS = 'NOTICE_SECRET_ARNS';
/** ARN of the environment's alert topic (stripe-revoke-notice). */
export const ENV_ALERT_TOPIC_ARN = 'ALERT_TOPIC_ARN';

/** Environment names (FLEAPO_ENVIRONMENT, configuration keys) that are production: no plaintext database login. */
export const PRODUCTION_ENVIRONMENT_NAMES: readonly string[] = ['prod', 'production'];

export function isProductionEnvironment(name: string | undefined): boolean {
  return name !== undefined && PRODUCTION_ENVIRONMENT_NAMES.includes(name.toLowerCase());
}
