import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { REFUSAL_TAG_KEYS, ROLLOUT_TAG_KEYS } from '../../lambda/rotation/rollout-tags';

/** When a secret rotates. */
export interface RotationTiming {
  /** `cron(0 H DoM Mon DoW *)` (UTC) or `rate(N days)`. */
  readonly scheduleExpression: string;
  /** The rotation window after each start, e.g. `2h`. */
  readonly window?: string;
  /** Rotate at once when the schedule is created or changed (CloudFormation `RotateImmediatelyOnUpdate`). */
  readonly rotateImmediatelyOnUpdate: boolean;
}

/**
 * Attaches `rotationFunction` to `secret` with a ScheduleExpression and a window. aws-cdk-lib's
 * `addRotationSchedule` offers neither a cron nor a window (aws/aws-cdk#24062): both are set on the underlying
 * `AWS::SecretsManager::RotationSchedule`, and `AutomaticallyAfterDays` removed (it cannot be combined with them).
 * aws-cdk-lib grants the function DescribeSecret, GetSecretValue, PutSecretValue and UpdateSecretVersionStage on
 * this secret, use of its key, and the invoke permission for Secrets Manager.
 */
export function scheduleRotation(secret: secretsmanager.Secret, rotationFunction: lambda.IFunction, timing: RotationTiming): secretsmanager.RotationSchedule {
  const schedule = addRotation(secret, rotationFunction, Duration.days(1), timing.rotateImmediatelyOnUpdate);
  const cfn = schedule.node.defaultChild as secretsmanager.CfnRotationSchedule;
  cfn.addPropertyDeletionOverride('RotationRules.AutomaticallyAfterDays');
  cfn.addPropertyOverride('RotationRules.ScheduleExpression', timing.scheduleExpression);
  if (timing.window) cfn.addPropertyOverride('RotationRules.Duration', timing.window);
  return schedule;
}


/**
 * Allows `fn` to write the rollout bookkeeping tags on `secret`, and no other tag; a rotation function
 * (`refusals: true`) also the tags recording why a step failed.
 */
export function grantRolloutTags(secret: secretsmanager.ISecret, fn: lambda.IFunction, options: { refusals?: boolean } = {}): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:TagResource'],
      resources: [secret.secretArn],
      conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...ROLLOUT_TAG_KEYS, ...(options.refusals ? REFUSAL_TAG_KEYS : [])] } },
    }),
  );
}

/**
 * Attaches `rotationFunction` to `secret` for rotations started on demand only (`RotateSecret`, no
 * RotationRules): for secrets whose new value a person creates at the issuer. Never rotates on deploy.
 */
export function attachOnDemandRotation(secret: secretsmanager.Secret, rotationFunction: lambda.IFunction): secretsmanager.RotationSchedule {
  return addRotation(secret, rotationFunction, Duration.days(0), false);
}

/** aws-cdk-lib's rotation schedule, and the acknowledgement of the one wildcard it grants. */
function addRotation(secret: secretsmanager.Secret, rotationFunction: lambda.IFunction, automaticallyAfter: Duration, rotateImmediatelyOnUpdate: boolean): secretsmanager.RotationSchedule {
  const schedule = secret.addRotationSchedule('RotationSchedule', { rotationLambda: rotationFunction, automaticallyAfter, rotateImmediatelyOnUpdate });
  Validations.of(rotationFunction).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'aws-cdk-lib grants every rotation function secretsmanager:GetRandomPassword, which has no resource-level permissions; all its other actions name their resources.',
  });
  return schedule;
}
