import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV_ALERT_TOPIC_ARN, ENV_NOTICE_SECRET_ARNS } from '../../catalog/env-vars';
import type { SecretName } from '../../catalog/secrets';
import { TAG_REVOKE_NOTICE_VERSION } from '../../catalog/tags';
import type { AppService } from './app-service';
import type { ResourceNames } from '../config/resource-names';
import type { RotationAlerts } from './rotation-alerts';
import { SecretFunction } from './secret-function';

/** How often the notice looks again when no completion event is coming (an old standalone task held it back). */
export const REVOKE_NOTICE_RETRY_INTERVAL = Duration.minutes(15);

/** Props of {@link StripeRevokeNotice}. */
export interface StripeRevokeNoticeProps {
  /** The environment's names: the function's and the rules'. */
  readonly names: ResourceNames;
  /** The secrets whose old key is revoked by hand once their rollout completed, by catalog name (the catalog's `revokeNotice`). */
  readonly secrets: Partial<Record<SecretName, secretsmanager.ISecret>>;
  /** The service whose deployments carry new values. */
  readonly service: AppService;
  /** The environment's alerts: the notice publishes to their topic. */
  readonly alerts: RotationAlerts;
}

/**
 * Runbook "STRIPE_*" step 4, told in AWS: when a deployment of the service completes and ECS shows the current Stripe
 * value rolled out everywhere (the rollout verdict: a deployment created since the switch completed, no older task
 * runs), the function
 * `fleapo-<env>-stripe-revoke-notice` publishes "the old key may now be revoked" (secret name, version id, deployment
 * id; never a value) to the alert topic, so the person who rolled the key at Stripe hears it even if the terminal
 * running `fleapo-secrets stage` was closed. It may describe the Stripe secrets (not read them), tag them with
 * `fleapo:revoke-notice-version` only (once per version), and publish to the alert topic only.
 */
export class StripeRevokeNotice extends Construct {
  public readonly function: SecretFunction;

  constructor(scope: Construct, id: string, props: StripeRevokeNoticeProps) {
    super(scope, id);
    const names = props.names;
    const env = names.environmentName;
    const watched = Object.entries(props.secrets).flatMap(([name, secret]) => (secret ? [{ name, secret }] : []));
    // Describes (never reads) the Stripe secrets and lists their versions (CreatedDate); tags them with the notice's
    // record only; reads the service's rollout; never rolls it.
    this.function = new SecretFunction(this, 'Notice', {
      handler: 'stripe-revoke-notice',
      functionName: names.revokeNoticeFunction,
      description: `Tells the ${env} alert topic when an old Stripe key may be revoked`,
      environment: {
        [ENV_NOTICE_SECRET_ARNS]: watched.map(({ name, secret }) => `${name}=${secret.secretArn}`).join(','),
        [ENV_ALERT_TOPIC_ARN]: props.alerts.topic.topicArn,
      },
      timeout: Duration.seconds(30),
      names,
      service: props.service,
      use: { kind: 'describe', secrets: watched.map(({ secret }) => secret) },
      tagKeys: [TAG_REVOKE_NOTICE_VERSION],
      rollsService: false,
      readsRollout: true,
    });
    const fn = this.function.function;
    props.alerts.grantPublish(this.function);

    const announce = new targets.LambdaFunction(fn, { retryAttempts: 4, maxEventAge: Duration.hours(2) });
    new events.Rule(this, 'OnDeploymentCompleted', {
      ruleName: names.scoped('stripe-revoke-notice-on-deployment'),
      description: `Completed deployments of the ${env} service: announce an old Stripe key that may be revoked`,
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        resources: [props.service.serviceArn],
        detail: { eventName: ['SERVICE_DEPLOYMENT_COMPLETED'] },
      },
      targets: [announce],
    });
    // A task from before the switch (a standalone job) can hold the announcement back past the last completion
    // event: the tick looks again once it has stopped.
    new events.Rule(this, 'Retry', {
      ruleName: names.scoped('stripe-revoke-notice-retry'),
      description: `Announces an old ${env} Stripe key once the tasks that held it back have stopped`,
      schedule: events.Schedule.rate(REVOKE_NOTICE_RETRY_INTERVAL),
      targets: [announce],
    });
  }
}
