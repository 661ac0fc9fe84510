import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV_SECRET_ARN } from '../../catalog/env-vars';
import { METRIC_RETIREMENT_BLOCKED, METRIC_RETIREMENT_REFUSED, METRIC_RETIREMENT_STALLED } from '../../catalog/metrics';
import { TAG_RETIRED_DEPLOYMENT } from '../../catalog/tags';
import { databaseFunctionEnvironment, grantMasterSecretRead, type DatabaseFunctionsProps } from './database-functions';
import { OwnLogCount } from './own-log-count';
import { SecretFunction } from './secret-function';
import { lambdaLogGroupName } from '../config/resource-names';

/** How often the retirement retries while an old role still has sessions. */
export const RETIREMENT_RETRY_INTERVAL = Duration.minutes(15);
/** A retirement blocked this long (old sessions remain) raises the alarm. */
export const RETIREMENT_BLOCKED_ALARM_AFTER = Duration.hours(1);

/** Props of {@link DatabaseRoleRetirement}. */
export interface DatabaseRoleRetirementProps extends DatabaseFunctionsProps {
  /** The environment's DATABASE_URL: read (never staged) to learn which role is current and which to retire. */
  readonly secret: secretsmanager.ISecret;
}

/**
 * Step 4 of the runbook's DATABASE_URL playbook: once ECS shows the new value rolled out everywhere (a deployment
 * created since the switch completed, and no task of the task family from before it runs, standalone tasks included),
 * the function `fleapo-<env>-database-role-retirement` checks pg_stat_activity (new role connected, old role idle) and
 * disables the old role's login.
 *
 * It runs on every deployment event of the service and on a 15-minute tick while old tasks or sessions remain. Four
 * alarms reach the alert topic: blocked for an hour, a failed or rolled-back rollout (refused, at once), a current
 * value nothing rolls out (stalled, two ticks), and the function itself failing for an hour.
 */
export class DatabaseRoleRetirement extends Construct {
  public readonly function: SecretFunction;
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: DatabaseRoleRetirementProps) {
    super(scope, id);
    const names = props.names;
    const env = names.environmentName;
    const functionName = names.retirementFunction;
    // Reads (never stages) DATABASE_URL, writes only the retirement's record, reads the service's deployments.
    this.function = new SecretFunction(this, 'Retirement', {
      handler: 'database-role-retirement',
      functionName,
      description: `Retires the previous fleapo ${env} database role once the rollout completed`,
      environment: {
        ...databaseFunctionEnvironment(props),
        [ENV_SECRET_ARN]: props.secret.secretArn,
      },
      vpc: props.placement,
      names,
      service: props.service,
      use: { kind: 'read', secrets: [props.secret] },
      tagKeys: [TAG_RETIRED_DEPLOYMENT],
      rollsService: false,
      readsRollout: true,
    });
    grantMasterSecretRead(props.database, this.function, this);

    const retirement = this.function.function;
    const retire = new targets.LambdaFunction(retirement, { retryAttempts: 4, maxEventAge: Duration.hours(2) });
    new events.Rule(this, 'OnDeployment', {
      ruleName: names.scoped('database-role-retirement-on-deployment'),
      description: `Deployments of the ${env} service: retire the previous database role when the rotation's rollout completed`,
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        resources: [props.service.serviceArn],
      },
      targets: [retire],
    });
    new events.Rule(this, 'RetryRetirement', {
      ruleName: names.scoped('database-role-retirement-retry'),
      description: `Retries a ${env} database role retirement still waiting for old sessions to end`,
      schedule: events.Schedule.rate(RETIREMENT_RETRY_INTERVAL),
      targets: [retire],
    });

    // Counted in the retirement function's own log group, not from its EMF metrics: only this environment's roles can
    // write there, while any function of the account can log an EMF record for any namespace (see OwnLogCount).
    const metric = (metricName: string, name: string) =>
      new OwnLogCount(this, `${metricName}Count`, {
        ruleName: names.scoped(name),
        logGroupNames: [lambdaLogGroupName(functionName)],
        field: metricName,
      }).metric(RETIREMENT_RETRY_INTERVAL);
    const ticksPerAlarmWindow = RETIREMENT_BLOCKED_ALARM_AFTER.toMinutes() / RETIREMENT_RETRY_INTERVAL.toMinutes();
    const alarm = (
      id: string,
      name: string,
      description: string,
      alarmMetric: cloudwatch.IMetric,
      periods: Partial<cloudwatch.AlarmProps> = {},
    ) =>
      new cloudwatch.Alarm(this, id, {
        alarmName: names.scoped(name),
        alarmDescription: `${description} See docs/operations.md, "When an alarm fires".`,
        metric: alarmMetric,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...periods,
      });
    this.alarms = [
      alarm(
        'RetirementBlocked',
        'database-role-retirement-blocked',
        `The previous ${env} database role still has sessions (or the new one none) an hour after the rollout: it stays valid.`,
        metric(METRIC_RETIREMENT_BLOCKED, 'database-role-retirement-blocked'),
        { evaluationPeriods: ticksPerAlarmWindow },
      ),
      alarm(
        'RetirementRefused',
        'database-role-retirement-refused',
        `The ${env} rollout after a DATABASE_URL rotation failed or rolled back: no role was retired.`,
        metric(METRIC_RETIREMENT_REFUSED, 'database-role-retirement-refused'),
      ),
      alarm(
        'RetirementStalled',
        'database-role-retirement-stalled',
        `Nothing rolls the current ${env} DATABASE_URL out (its rotation could not roll ECS or record the rollout): the previous role stays valid.`,
        metric(METRIC_RETIREMENT_STALLED, 'database-role-retirement-stalled'),
        // Two ticks in a row: a single datapoint can be the instant between the stage move and the rollout record.
        { evaluationPeriods: 2, datapointsToAlarm: 2 },
      ),
      alarm(
        'RetirementErrors',
        'database-role-retirement-errors',
        `The ${env} database role retirement function keeps failing (database or API unreachable).`,
        retirement.metricErrors({ period: RETIREMENT_RETRY_INTERVAL, statistic: 'Sum' }),
        { evaluationPeriods: ticksPerAlarmWindow },
      ),
    ];
  }
}
