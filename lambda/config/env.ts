/**
 * The handlers' reading of their environment. The variable names are the CDK side's and the handlers' shared contract,
 * written once in catalog/env-vars.ts.
 */

import type { EcsTarget } from '../../runtime/ecs-service';
import {
  ENV_DB_APP_USER,
  ENV_DB_CONNECT_TIMEOUT_MS,
  ENV_DB_HOST,
  ENV_DB_NAME,
  ENV_DB_PORT,
  ENV_DB_SSL,
  ENV_ECS_CLUSTER,
  ENV_ECS_SERVICE,
  ENV_FLEAPO_ENVIRONMENT,
  ENV_MASTER_SECRET_ARN,
  isProductionEnvironment,
} from '../../catalog/env-vars';

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
