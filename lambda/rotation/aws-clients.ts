import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ECSClient } from '@aws-sdk/client-ecs';

/*
 * AWS SDK v3 clients, created once per container (lazily, so a cold start that fails on
 * configuration does not pay for them). No endpoint configuration here on purpose: the SDK's
 * own AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_ECS variables override endpoints.
 */
let secretsManager: SecretsManagerClient | undefined;
let ecs: ECSClient | undefined;

export function secretsManagerClient(): SecretsManagerClient {
  secretsManager ??= new SecretsManagerClient({});
  return secretsManager;
}

export function ecsClient(): ECSClient {
  ecs ??= new ECSClient({});
  return ecs;
}
