/**
 * Runbook "DATABASE_URL" step 4: retire the previous database role once the ECS rollout the
 * rotation started has completed and pg_stat_activity shows the switch. Invoked by EventBridge:
 * "ECS Deployment State Change" events and a scheduled retry tick (every 15 min). `fleapo-secrets contain DATABASE_URL`
 * invokes it directly with `{"fleapo":"contain","terminateSessions":true}`: the same checks, then the old role's
 * remaining sessions are ended instead of waited for (the answer says how many).
 */
import { ENV_FLEAPO_ENVIRONMENT, ENV_SECRET_ARN } from '../catalog/env-vars';
import { withLambdaContext } from './observability/lambda-context';
import { readHandlerEnvironment } from '../runtime/handler-environment';
import { readDatabaseSettings, readEcsTarget } from './config/env';
import { ecsClient, secretsManagerClient } from './rotation/aws-clients';
import { SecretStore } from '../runtime/secret-store';
import { retireOldRoleWithResult, type RetirementResult } from './retirement/role-retirement';
import { parseRetirementTrigger } from '../runtime/retirement-trigger';

export const handler = withLambdaContext(async (event: unknown): Promise<RetirementResult> => {
  const trigger = parseRetirementTrigger(event);
  const env = readHandlerEnvironment('database-role-retirement');
  return retireOldRoleWithResult(trigger, {
    store: new SecretStore(secretsManagerClient()),
    ecs: ecsClient(),
    secretArn: env[ENV_SECRET_ARN],
    ecsTarget: readEcsTarget(),
    db: readDatabaseSettings(),
    environment: env[ENV_FLEAPO_ENVIRONMENT],
  });
});
