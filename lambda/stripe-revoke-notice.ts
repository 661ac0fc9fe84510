/**
 * Runbook "STRIPE_*" step 4, told even when the operator's terminal closed: on the service's ECS deployment events,
 * publishes "the old key may now be revoked" to the environment's alert topic once the rollout carrying a new value
 * of a secret with a revoke notice (the catalog's `revokeNotice`: STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET) has
 * completed (secret name, version id, deployment id, and how to revoke, from the secret's issuer; no value).
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { ENV_ALERT_TOPIC_ARN, ENV_FLEAPO_ENVIRONMENT, ENV_NOTICE_SECRET_ARNS } from '../catalog/env-vars';
import { withLambdaContext } from './observability/lambda-context';
import { readHandlerEnvironment } from '../runtime/handler-environment';
import { readEcsTarget } from './config/env';
import { announceRevocableKeys, parseNoticeSecrets } from './external/revoke-notice';
import { parseRetirementTrigger } from '../runtime/retirement-trigger';
import { ecsClient, secretsManagerClient } from './rotation/aws-clients';
import { SecretStore } from '../runtime/secret-store';

let sns: SNSClient | undefined;

export const handler = withLambdaContext(async (event: unknown): Promise<{ announced: string[] }> => {
  const env = readHandlerEnvironment('stripe-revoke-notice');
  const secrets = parseNoticeSecrets(env[ENV_NOTICE_SECRET_ARNS]);
  sns ??= new SNSClient({});
  const announced = await announceRevocableKeys(parseRetirementTrigger(event), {
    store: new SecretStore(secretsManagerClient()),
    sns,
    topicArn: env[ENV_ALERT_TOPIC_ARN],
    secrets,
    ecs: ecsClient(),
    ecsTarget: readEcsTarget(),
    environment: env[ENV_FLEAPO_ENVIRONMENT],
  });
  return { announced };
});
