/** Namespace of the rotation metrics the CDK side alarms on. */
export const METRIC_NAMESPACE = 'Fleapo/SecretsRotation';
export const METRIC_RETIREMENT_BLOCKED = 'RetirementBlocked';
export const METRIC_RETIREMENT_REFUSED = 'RetirementRefused';
export const METRIC_ROLE_RETIRED = 'RoleRetired';
/** The retirement cannot proceed because nothing rolls the current value out (no rollout recorded, or no deployment since). */
export const METRIC_RETIREMENT_STALLED = 'RetirementStalled';
/** A rotation rolled the service but could not tag the secret with the rollout (the retirement cannot follow it). */
export const METRIC_ROLLOUT_NOT_RECORDED = 'RolloutNotRecorded';

/**
 * One CloudWatch Embedded Metric Format record (a Count of 1 or more), with an optional
 * `Environment` dimension. Lambda ships stdout to CloudWatch Logs, which extracts the metric.
 */
export function emfRecord(metricName: string, value: number, environment: string | undefined, now = Date.now()): string {
  const dimensions = environment === undefined ? [[]] : [['Environment']];
  const record: Record<string, unknown> = {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        { Namespace: METRIC_NAMESPACE, Dimensions: dimensions, Metrics: [{ Name: metricName, Unit: 'Count' }] },
      ],
    },
    [metricName]: value,
  };
  if (environment !== undefined) record.Environment = environment;
  return JSON.stringify(record);
}

export function publishCountMetric(metricName: string, environment: string | undefined): void {
  process.stdout.write(emfRecord(metricName, 1, environment) + '\n');
}
