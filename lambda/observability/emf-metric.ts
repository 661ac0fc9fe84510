import { METRIC_NAMESPACE } from '../../catalog/metrics';

/**
 * One CloudWatch Embedded Metric Format record (a Count of 1 or more), with an optional
 * `Environment` dimension. Lambda ships stdout to CloudWatch Logs, which extracts the metric.
 *
 * The record carries the metric's value under the metric's own name (`{"RetirementBlocked": 1, ...}`): the
 * environment's alarms count records with that field in its own log groups (a Contributor Insights rule), not the
 * extracted metric, which any function of the account could forge by logging the same record.
 */
export function emfRecord(metricName: string, value: number, environment: string | undefined, now = Date.now()): string {
  const dimensions = environment === undefined ? [[]] : [['Environment']];
  const record: Record<string, unknown> = {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: dimensions, Metrics: [{ Name: metricName, Unit: 'Count' }] }],
    },
    [metricName]: value,
  };
  if (environment !== undefined) record.Environment = environment;
  return JSON.stringify(record);
}

export function publishCountMetric(metricName: string, environment: string | undefined): void {
  process.stdout.write(emfRecord(metricName, 1, environment) + '\n');
}
