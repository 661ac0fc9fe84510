import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-config';
import { ENV_ALERT_TOPIC_ARN, ENV_ECS_CLUSTER, ENV_ECS_SERVICE, ENV_FLEAPO_ENVIRONMENT, ENV_NOTICE_SECRET_ARNS, ENV_POWERTOOLS_SERVICE_NAME } from '../../catalog/env-vars';
import { TAG_REVOKE_NOTICE_VERSION } from '../../catalog/tags';
import type { AppService } from './app-service';
import { alertRuleName } from './rotation-alerts';
import { RotationFunction } from './rotation-function';

/** How often the notice looks again when no completion event is coming (an old standalone task held it back). */
export const REVOKE_NOTICE_RETRY_INTERVAL = Duration.minutes(15);

/** Props of {@link StripeRevokeNotice}. */
export interface StripeRevokeNoticeProps {
  readonly environment: EnvironmentConfig;
  /** The Stripe secrets whose old key is revoked by hand once their rollout completed. */
  readonly secrets: secretsmanager.ISecret[];
  /** The service whose deployments carry new values. */
  readonly service: AppService;
  /** The environment's alert topic. */
  readonly topic: sns.ITopic;
  /** The key the topic is encrypted with (publishing needs it). */
  readonly topicKey: kms.IKey;
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
  public readonly function: RotationFunction;

  constructor(scope: Construct, id: string, props: StripeRevokeNoticeProps) {
    super(scope, id);
    const env = props.environment;
    this.function = new RotationFunction(this, 'Notice', {
      handler: 'stripe-revoke-notice',
      functionName: `fleapo-${env.name}-stripe-revoke-notice`,
      description: `Tells the ${env.name} alert topic when an old Stripe key may be revoked`,
      environment: {
        [ENV_NOTICE_SECRET_ARNS]: props.secrets.map((s) => s.secretArn).join(','),
        [ENV_ALERT_TOPIC_ARN]: props.topic.topicArn,
        [ENV_ECS_CLUSTER]: props.service.cluster.clusterArn,
        [ENV_ECS_SERVICE]: props.service.serviceArn,
        [ENV_FLEAPO_ENVIRONMENT]: env.name,
        [ENV_POWERTOOLS_SERVICE_NAME]: `fleapo-${env.name}-stripe-revoke-notice`,
      },
      timeout: Duration.seconds(30),
    });
    const fn = this.function.function;
    const arns = props.secrets.map((s) => s.secretArn);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:DescribeSecret'], resources: arns }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:TagResource'],
        resources: arns,
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG_REVOKE_NOTICE_VERSION] } },
      }),
    );
    props.service.grantRolloutReads(this.function.role);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.topic.topicArn] }));
    // SNS encrypts the message with the topic's key on the publisher's behalf: exactly these two actions, via SNS only.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.topicKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );

    const announce = new targets.LambdaFunction(fn, { retryAttempts: 4, maxEventAge: Duration.hours(2) });
    new events.Rule(this, 'OnDeploymentCompleted', {
      ruleName: alertRuleName(env, 'stripe-revoke-notice-on-deployment'),
      description: `Completed deployments of the ${env.name} service: announce an old Stripe key that may be revoked`,
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
      ruleName: alertRuleName(env, 'stripe-revoke-notice-retry'),
      description: `Announces an old ${env.name} Stripe key once the tasks that held it back have stopped`,
      schedule: events.Schedule.rate(REVOKE_NOTICE_RETRY_INTERVAL),
      targets: [announce],
    });
  }
}
