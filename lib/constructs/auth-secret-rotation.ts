import type { AppService } from './app-service';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-config';
import { ENV_ECS_CLUSTER, ENV_ECS_SERVICE, ENV_FLEAPO_ENVIRONMENT, ENV_POWERTOOLS_SERVICE_NAME } from '../../catalog/env-vars';
import { RotationFunction } from './rotation-function';
import { scheduleRotation } from './rotation-schedule';

/** Props of {@link AuthSecretRotation}. */
export interface AuthSecretRotationProps {
  readonly environment: EnvironmentConfig;
  /** The environment's AUTH_SECRET. */
  readonly secret: secretsmanager.Secret;
  /** The service rolled after each rotation, so new tasks start with the new value. */
  readonly service: AppService;
}

/**
 * The runbook's AUTH_SECRET playbook as a scheduled rotation of a key ring, without signing anyone out: each
 * rotation publishes a fresh 64-byte key (128 hex characters) as `next` and, once ECS reports the previous version
 * rolled out, makes the previously published key `current` (lambda/playbooks/auth-secret-playbook.ts); then a new
 * deployment of the service. It never rotates immediately on deploy.
 *
 * Beyond staging its secret and rolling its service, the function reads the service's rollout: DescribeServices on
 * the service, ListTasks and DescribeTasks in its cluster only.
 */
export class AuthSecretRotation extends Construct {
  public readonly function: RotationFunction;

  constructor(scope: Construct, id: string, props: AuthSecretRotationProps) {
    super(scope, id);
    const env = props.environment;
    this.function = new RotationFunction(this, 'Rotation', {
      handler: 'auth-secret-rotation',
      functionName: `fleapo-${env.name}-auth-secret-rotation`,
      description: `Rotates fleapo/${env.name}/auth-secret and rolls the ${env.name} service`,
      environment: {
        [ENV_ECS_CLUSTER]: props.service.cluster.clusterArn,
        [ENV_ECS_SERVICE]: props.service.serviceArn,
        [ENV_FLEAPO_ENVIRONMENT]: env.name,
        [ENV_POWERTOOLS_SERVICE_NAME]: `fleapo-${env.name}-auth-secret-rotation`,
      },
    });

    scheduleRotation(props.secret, this.function, {
      scheduleExpression: env.rotation.authSecretSchedule,
      window: env.rotation.authSecretWindow,
      rotateImmediatelyOnUpdate: false,
    });
    this.function.grantRollout(props.secret, props.service);
    props.service.grantRolloutReads(this.function.role);
  }
}
