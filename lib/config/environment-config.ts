/**
 * The typed configuration of one fleapo environment (staging, prod).
 *
 * Every stack reads its environment only from here: no literals in stacks, no lookups at synth.
 * The types are inferred from the configuration's schema (`schema.ts`, where each field is documented);
 * `validateConfig` turns raw JSON (defaults merged with the team's overrides) into them or fails with a
 * `ConfigError` that names the environment and the field.
 */

export type {
  AccountConfig,
  AlertsConfig,
  DatabaseConfig,
  EnvironmentConfig,
  ExternalServicesConfig,
  FleapoConfig,
  GithubConfig,
  NetworkConfig,
  RotationConfig,
  ServiceConfig,
} from './schema';

/** The names of the five secrets every environment holds, as the app reads them. */
export const MANAGED_SECRETS = [
  'AUTH_SECRET',
  'DATABASE_URL',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'POSTHOG_API_KEY',
] as const;

/** One of the environment variable names the app container receives from Secrets Manager. */
export type ManagedSecretName = (typeof MANAGED_SECRETS)[number];

/** The secrets a person creates at their issuer (Stripe Dashboard, PostHog project): rotated on demand, not scheduled. */
export const EXTERNAL_SECRETS = ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'POSTHOG_API_KEY'] as const;

/** One of {@link EXTERNAL_SECRETS}. */
export type ExternalSecretName = (typeof EXTERNAL_SECRETS)[number];

/** The secret's name below the environment prefix: `fleapo/<env>/<suffix>`. */
export const SECRET_NAME_SUFFIX: Record<ManagedSecretName, string> = {
  AUTH_SECRET: 'auth-secret',
  DATABASE_URL: 'database-url',
  STRIPE_SECRET_KEY: 'stripe-secret-key',
  STRIPE_WEBHOOK_SECRET: 'stripe-webhook-secret',
  POSTHOG_API_KEY: 'posthog-api-key',
};
