import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC_ROLLOUT_NOT_RECORDED } from '../../catalog/metrics';
import { lambdaLogGroupName, type ResourceNames } from '../config/resource-names';
import { OwnLogCount } from './own-log-count';

/** Props of {@link RotationAlerts}. */
export interface RotationAlertsProps {
  /**
   * The environment's names: the topic, rules and alarms are named `fleapo-<env>-...`; rotation failures of the secrets
   * under its secret prefix are reported.
   */
  readonly names: ResourceNames;
  /**
   * Addresses subscribed to the topic (each confirms its subscription by email).
   * @default no subscription
   */
  readonly emails?: string[];
  /** ARN of the environment's ECS service, whose failed deployments are reported. */
  readonly serviceArn: string;
}

/**
 * The environment's alert topic (`fleapo-<env>-secrets-alerts`), fed by EventBridge: Secrets Manager
 * rotation failures of the environment's secrets, failed deployments of its service, and every alarm named
 * `fleapo-<env>-*` ({@link ResourceNames.scoped}) entering ALARM (a retirement that cannot proceed). The topic is
 * encrypted with a key of its own and accepts only TLS.
 */
export class RotationAlerts extends Construct {
  public readonly topic: sns.Topic;
  /** The key the topic is encrypted with: a publisher needs it ({@link RotationAlerts.grantPublish}). */
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: RotationAlertsProps) {
    super(scope, id);
    const names = props.names;
    const env = names.environmentName;
    const { account, region, partition } = Stack.of(this);

    const key = (this.key = new kms.Key(this, 'Key', {
      alias: names.alertsKeyAlias,
      description: `Encrypts the fleapo ${env} secrets alert topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    }));

    this.topic = new sns.Topic(this, 'Topic', {
      topicName: names.alertTopic,
      displayName: `fleapo ${env} secrets alerts`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of props.emails ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    // The rules below publish through this target; which rules may publish is stated once, after them.
    const target: events.IRuleTarget = { bind: () => ({ id: '', arn: this.topic.topicArn }) };

    const rotationFailed = new events.Rule(this, 'RotationFailed', {
      ruleName: names.scoped('rotation-failed'),
      description: `Secrets Manager rotation failures of the ${env} secrets`,
      eventPattern: {
        source: ['aws.secretsmanager'],
        detail: {
          eventName: ['RotationFailed', 'RotationAbandoned'],
          additionalEventData: {
            SecretId: events.Match.prefix(`arn:${partition}:secretsmanager:${region}:${account}:secret:${names.secretPrefix}/`),
          },
        },
      },
      targets: [target],
    });

    const deploymentFailed = new events.Rule(this, 'DeploymentFailed', {
      ruleName: names.scoped('deployment-failed'),
      description: `Failed deployments of the ${env} service (a rollout after rotation included)`,
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        resources: [props.serviceArn],
        detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
      },
      targets: [target],
    });

    new cloudwatch.Alarm(this, 'RolloutNotRecorded', {
      alarmName: names.scoped('rotation-rollout-not-recorded'),
      alarmDescription: `A ${env} rotation rolled the service but could not tag its secret: the previous database role will not be retired automatically. See docs/operations.md, "When an alarm fires".`,
      // Counted in the environment's own function logs, not from the EMF metric (see OwnLogCount).
      metric: new OwnLogCount(this, 'RolloutNotRecordedCount', {
        ruleName: names.scoped('rotation-rollout-not-recorded'),
        logGroupNames: [lambdaLogGroupName(names.patterns.scoped)],
        field: METRIC_ROLLOUT_NOT_RECORDED,
      }).metric(Duration.minutes(5)),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const alarmRaised = new events.Rule(this, 'AlarmRaised', {
      ruleName: names.scoped('alarm-raised'),
      description: `Secrets alarms of ${env} entering ALARM`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: events.Match.prefix(`arn:${partition}:cloudwatch:${region}:${account}:alarm:${names.scoped('')}`),
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [target],
    });

    // EventBridge publishes to the topic (and uses its key) only for these three rules of this account: no
    // other account's or other rule's events reach on-call. (Alarms reach the topic through the AlarmRaised
    // rule, not alarm actions, so CloudWatch itself is admitted nowhere.)
    const fromTheseRules = {
      StringEquals: { 'aws:SourceAccount': account },
      // From the names, not the rules' Arn attributes: the key policy would otherwise depend on the rules,
      // which depend on the topic, which depends on the key.
      ArnEquals: {
        'aws:SourceArn': [rotationFailed, deploymentFailed, alarmRaised].map(
          (rule) => `arn:${partition}:events:${region}:${account}:rule/${(rule.node.defaultChild as events.CfnRule).name}`,
        ),
      },
    };
    const events_ = new iam.ServicePrincipal('events.amazonaws.com');
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [events_],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromTheseRules,
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [events_],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromTheseRules,
      }),
    );
  }

  /**
   * Makes `rule` publish to the topic, and admits it (this rule of this account only) in the topic's and the key's
   * policies, as the rules above are admitted.
   */
  public publishFromRule(rule: events.Rule): void {
    const { account, region, partition } = Stack.of(this);
    rule.addTarget({ bind: () => ({ id: '', arn: this.topic.topicArn }) });
    const fromRule = {
      StringEquals: { 'aws:SourceAccount': account },
      ArnEquals: {
        'aws:SourceArn': `arn:${partition}:events:${region}:${account}:rule/${(rule.node.defaultChild as events.CfnRule).name}`,
      },
    };
    const principals = [new iam.ServicePrincipal('events.amazonaws.com')];
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({ principals, actions: ['sns:Publish'], resources: [this.topic.topicArn], conditions: fromRule }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({ principals, actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'], conditions: fromRule }),
    );
  }

  /**
   * Allows `grantee` to publish to the topic: `sns:Publish` on it, and the two key actions SNS performs with the
   * topic's key on the publisher's behalf (GenerateDataKey, Decrypt), through SNS only.
   */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn] }).combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resourceArns: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}
