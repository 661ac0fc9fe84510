import { Validations } from 'aws-cdk-lib';
import type { AppService } from './app-service';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ExternalServicesConfig } from '../config/environment-config';
import { ROTATION_TAG_KEYS } from '../../catalog/tags';
import { ENV_EXTERNAL_SECRET_NAME } from '../../catalog/env-vars';
import type { ExternalSecretName } from '../../catalog/secrets';
import { issuerSettingsEnvironment } from '../../runtime/issuers';
import { SecretFunction } from './secret-function';
import type { ResourceNames } from '../config/resource-names';

/** Props of {@link ExternalSecretRotation}. */
export interface ExternalSecretRotationProps {
  /** The environment's names (its name is what the handler checks its events against). */
  readonly names: ResourceNames;
  /** Which Stripe keys this environment takes (live or test), and the PostHog API host a new key is checked against. */
  readonly externalServices: Pick<ExternalServicesConfig, 'stripeMode' | 'posthogApiHost'>;
  /** Which secret this is (its catalog name): the function checks new values by its issuer's entry. */
  readonly name: ExternalSecretName;
  /** The secret (`<secretPrefix>/<suffix>`). */
  readonly secret: secretsmanager.Secret;
  /** The service rolled after each rotation. */
  readonly service: AppService;
}

/**
 * The runbook's STRIPE_* and POSTHOG_API_KEY playbooks as an on-demand rotation: the operator stages the new
 * value the issuer created (label `FLEAPO_STAGED`, `fleapo-secrets stage`), which starts the rotation; the
 * function checks the value's form for this environment (live or test Stripe keys) and, where the issuer allows,
 * that the issuer accepts it, makes it current, and rolls the service. The operator revokes the old key only once
 * that rollout has completed (the CLI says when), in that order, as the runbook requires.
 */
export class ExternalSecretRotation extends Construct {
  public readonly function: SecretFunction;

  constructor(scope: Construct, id: string, props: ExternalSecretRotationProps) {
    super(scope, id);
    const names = props.names;
    const env = names.environmentName;
    this.function = new SecretFunction(this, 'Rotation', {
      handler: 'external-secret-rotation',
      functionName: names.rotationFunction(props.name),
      description: `Rotates ${names.secret(props.name)} to the staged value and rolls the ${env} service`,
      environment: {
        [ENV_EXTERNAL_SECRET_NAME]: props.name,
        ...issuerSettingsEnvironment(props.externalServices),
      },
      names,
      service: props.service,
      use: { kind: 'rotation', secret: props.secret, timing: 'on-demand' },
      tagKeys: ROTATION_TAG_KEYS,
      rollsService: true,
      readsRollout: false,
    });
    Validations.of(props.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: `${props.name} is created by a person at its issuer (Stripe Dashboard / PostHog project), which offers no API to make a new one: it has a rotation function, started on demand when the operator stages the new value, not a schedule.`,
    });
  }
}
