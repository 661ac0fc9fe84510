import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { ResourceNames } from '../config/resource-names';
import type { RotationAlerts } from './rotation-alerts';

/** Props of {@link UnexpectedReaderAlarm}. */
export interface UnexpectedReaderAlarmProps {
  /** The environment's names: the rule is `fleapo-<env>-unexpected-secret-reader`; the secrets are under its secret prefix. */
  readonly names: ResourceNames;
  /**
   * ARNs of the IAM roles expected to read the secrets (lib/config/secret-principals.ts: the ECS execution role, the
   * environment's functions, the break-glass role). An assumed-role session of any other role is reported.
   */
  readonly expectedRoleArns: readonly string[];
  /** The environment's alert topic: the rule publishes to it and is admitted by its policies. */
  readonly alerts: RotationAlerts;
}

/**
 * The EventBridge pattern of the rule (pure, for the tests): a read of one of the secrets by anyone else than the
 * expected roles. One flat `$or` of (what was read) x (who read it): EventBridge's `exists` applies to leaf fields only.
 */
export function unexpectedReaderPattern(p: { secretNamePrefix: string; secretArnPrefix: string; expectedRoleArns: readonly string[] }) {
  // A secret id is a name, an ARN or a partial ARN: either way it starts with one of these.
  const ours = [{ prefix: p.secretNamePrefix }, { prefix: p.secretArnPrefix }];
  const reads = [
    { eventName: ['GetSecretValue'], requestParameters: { secretId: ours } },
    // BatchGetSecretValue by ids (any of them ours) or by filters (which may include ours).
    { eventName: ['BatchGetSecretValue'], requestParameters: { secretIdList: ours } },
    { eventName: ['BatchGetSecretValue'], requestParameters: { filters: { key: [{ exists: true }] } } },
  ];
  const readers = [
    // IAM users, the root user, federated users, AWS services, ...: never expected to read a secret.
    { type: [{ 'anything-but': ['AssumedRole'] }] },
    // An assumed-role session of a role that is not expected.
    { type: ['AssumedRole'], sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [...p.expectedRoleArns] }] } } },
  ];
  return {
    source: ['aws.secretsmanager'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['secretsmanager.amazonaws.com'],
      $or: reads.flatMap((read) => readers.map((userIdentity) => ({ ...read, userIdentity }))),
    },
  };
}

/**
 * Alerts on-call when a principal other than the expected ones reads one of the environment's secrets: an EventBridge
 * rule on the default bus for CloudTrail's `AWS API Call via CloudTrail` events of Secrets Manager, publishing to the
 * alert topic. GetSecretValue is a read-only management event: EventBridge delivers those only to a rule whose state
 * is ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (plain ENABLED never sees them), and CloudTrail delivers API-call
 * events to EventBridge only while the account has a trail logging management events, read ones included
 * (docs/when-a-secret-leaks.md, "The unexpected-reader alarm": cost and what stays unverified).
 */
export class UnexpectedReaderAlarm extends Construct {
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: UnexpectedReaderAlarmProps) {
    super(scope, id);
    const { names } = props;
    const env = names.environmentName;
    const { account, region, partition } = Stack.of(this);
    const pattern = unexpectedReaderPattern({
      secretNamePrefix: `${names.secretPrefix}/`,
      secretArnPrefix: `arn:${partition}:secretsmanager:${region}:${account}:secret:${names.secretPrefix}/`,
      expectedRoleArns: props.expectedRoleArns,
    });
    this.rule = new events.Rule(this, 'Rule', {
      ruleName: names.scoped('unexpected-secret-reader'),
      description: `A principal other than the expected ones read a ${env} secret (GetSecretValue via CloudTrail)`,
      eventPattern: { source: pattern.source, detailType: pattern['detail-type'], detail: pattern.detail },
    });
    (this.rule.node.defaultChild as events.CfnRule).state = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
    props.alerts.publishFromRule(this.rule);
  }
}
