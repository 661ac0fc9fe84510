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
  OperatorsConfig,
  RotationConfig,
  ServiceConfig,
} from './schema';
