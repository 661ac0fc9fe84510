import type { AppService } from './app-service';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ROTATION_TAG_KEYS, TAG_REKEYED_VERSION } from '../../catalog/tags';
import type { RotationTiming } from './rotation-schedule';
import { SecretFunction } from './secret-function';
import type { ResourceNames } from '../config/resource-names';

/** Props of {@link AuthSecretRotation}. */
export interface AuthSecretRotationProps {
  /** The environment's names (its name is what the handler checks its events against). */
  readonly names: ResourceNames;
  /** When the key ring rotates (cron or rate, and a window). It never rotates on deploy. */
  readonly schedule: Omit<RotationTiming, 'rotateImmediatelyOnUpdate'>;
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
  public readonly function: SecretFunction;

  constructor(scope: Construct, id: string, props: AuthSecretRotationProps) {
    super(scope, id);
    const names = props.names;
    const env = names.environmentName;
    // Rolls the service after each rotation, records that rollout in the secret's tags, and reads its progress.
    this.function = new SecretFunction(this, 'Rotation', {
      handler: 'auth-secret-rotation',
      environment: {},
      functionName: names.rotationFunction('AUTH_SECRET'),
      description: `Rotates ${names.secret('AUTH_SECRET')} and rolls the ${env} service`,
      names,
      service: props.service,
      use: { kind: 'rotation', secret: props.secret, timing: { ...props.schedule, rotateImmediatelyOnUpdate: false } },
      tagKeys: [...ROTATION_TAG_KEYS, TAG_REKEYED_VERSION],
      rollsService: true,
      readsRollout: true,
    });
  }
}
