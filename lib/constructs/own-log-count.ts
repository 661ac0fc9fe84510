import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

/** Props of {@link OwnLogCount}. */
export interface OwnLogCountProps {
  /** The rule's name, `fleapo-<env>-<what>` (the environment's deploy policies scope insight rules by that name). */
  readonly ruleName: string;
  /**
   * The environment's own log groups the count reads, e.g. `/aws/lambda/fleapo-prod-*` (a trailing `*` is a prefix).
   * Only the environment's own roles may write into them: another environment's roles are denied its names.
   */
  readonly logGroupNames: string[];
  /** The JSON field a record carries when it counts (the name of the EMF metric the function logs, e.g. `RolloutNotRecorded`). */
  readonly field: string;
}

/**
 * A count of the log records that carry `field` (a number above 0) in the environment's own log groups: a CloudWatch
 * Contributor Insights rule over those log groups, read by alarms with `INSIGHT_RULE_METRIC`.
 *
 * Why not the embedded-metric-format metric the functions log: CloudWatch Logs extracts an EMF record into whatever
 * namespace and dimensions the record names, from any log group, without `cloudwatch:PutMetricData` (so IAM's
 * `cloudwatch:namespace` condition never applies), and IAM cannot condition on a metric's dimensions. A function of
 * another environment in the same account could therefore log a record for this environment's namespace and dimension
 * into its own log group and move this environment's alarms. A Contributor Insights rule reads only the log groups it
 * names, and nothing but the environment's own roles can write into those.
 */
export class OwnLogCount extends Construct {
  public readonly rule: cloudwatch.CfnInsightRule;
  private readonly ruleName: string;

  constructor(scope: Construct, id: string, props: OwnLogCountProps) {
    super(scope, id);
    this.ruleName = props.ruleName;
    this.rule = new cloudwatch.CfnInsightRule(this, 'Rule', {
      ruleName: props.ruleName,
      ruleState: 'ENABLED',
      ruleBody: JSON.stringify({
        Schema: { Name: 'CloudWatchLogRule', Version: 1 },
        LogGroupNames: props.logGroupNames,
        LogFormat: 'JSON',
        Contribution: {
          Keys: [`$.${props.field}`],
          Filters: [{ Match: `$.${props.field}`, GreaterThan: 0 }],
        },
        AggregateOn: 'Count',
      }),
    });
  }

  /** The number of matching records per `period` (`INSIGHT_RULE_METRIC(rule, 'SampleCount')`). */
  public metric(period: Duration): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: `INSIGHT_RULE_METRIC('${this.ruleName}', 'SampleCount')`,
      usingMetrics: {},
      period,
      label: this.ruleName,
    });
  }
}
