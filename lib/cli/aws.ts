import { ECSClient } from '@aws-sdk/client-ecs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** How to reach AWS: the environment's region (from the configuration) and an optional named profile. */
export interface AwsAccess {
  readonly region: string;
  /** A profile of the shared config/credentials files; without it, the SDK's default credential chain. */
  readonly profile?: string;
}

export interface CliClients {
  readonly sm: SecretsManagerClient;
  readonly ecs: ECSClient;
  destroy(): void;
}

/**
 * SDK v3 clients for one environment. Endpoints are the SDK's own business: `AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`, `AWS_ENDPOINT_URL_ECS` override them (that is how the tests run).
 */
export function cliClients(access: AwsAccess): CliClients {
  const config = { region: access.region, ...(access.profile ? { profile: access.profile } : {}) };
  const sm = new SecretsManagerClient(config);
  const ecs = new ECSClient(config);
  return {
    sm,
    ecs,
    destroy: () => {
      sm.destroy();
      ecs.destroy();
    },
  };
}

/** An AWS error as a line: its name and message (AWS messages name resources and parameters, never a SecretString). */
export function awsProblem(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
}
