import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { grantSecretRotation } from './environment-secrets';
import type { RotationFunction } from './rotation-function';

/** When a secret rotates. */
export interface RotationTiming {
  /** `cron(0 H DoM Mon DoW *)` (UTC) or `rate(N days)`. */
  readonly scheduleExpression: string;
  /** The rotation window after each start, e.g. `2h`. @default Secrets Manager's default window */
  readonly window?: string;
  /** Rotate at once when the schedule is created or changed (CloudFormation `RotateImmediatelyOnUpdate`). */
  readonly rotateImmediatelyOnUpdate: boolean;
}

/**
 * Attaches `rotationFunction` to `secret` with a ScheduleExpression (cron or rate) and a window, which
 * aws-cdk-lib's `addRotationSchedule` does not offer (aws/aws-cdk#24062). See {@link attachRotation}.
 */
export function scheduleRotation(
  secret: secretsmanager.Secret,
  rotationFunction: RotationFunction,
  timing: RotationTiming,
): secretsmanager.CfnRotationSchedule {
  return attachRotation(secret, rotationFunction, {
    rotationRules: { scheduleExpression: timing.scheduleExpression, ...(timing.window ? { duration: timing.window } : {}) },
    rotateImmediatelyOnUpdate: timing.rotateImmediatelyOnUpdate,
  });
}

/**
 * Attaches `rotationFunction` to `secret` for rotations started on demand only (`RotateSecret`, no
 * RotationRules): for secrets whose new value a person creates at the issuer. Never rotates on deploy.
 */
export function attachOnDemandRotation(
  secret: secretsmanager.Secret,
  rotationFunction: RotationFunction,
): secretsmanager.CfnRotationSchedule {
  return attachRotation(secret, rotationFunction, { rotateImmediatelyOnUpdate: false });
}

/**
 * The rotation configuration of `secret`, without aws-cdk-lib's `addRotationSchedule` and what it grants beyond
 * need (`secretsmanager:GetRandomPassword` on `*`: the handlers use `crypto.randomBytes`; an invoke permission
 * for any account's Secrets Manager):
 * - Secrets Manager may invoke the function only from this account (`SourceAccount`) and only for this secret
 *   (`SourceArn`);
 * - the function may run the rotation protocol on this secret only ({@link grantSecretRotation});
 * - the schedule is created after both, so the first rotation never meets a missing permission.
 * The schedule keeps the logical id aws-cdk-lib gave it (`<secret>/RotationSchedule/Resource`): no replacement.
 */
function attachRotation(
  secret: secretsmanager.Secret,
  rotationFunction: RotationFunction,
  props: Pick<secretsmanager.CfnRotationScheduleProps, 'rotationRules' | 'rotateImmediatelyOnUpdate'>,
): secretsmanager.CfnRotationSchedule {
  rotationFunction.function.addPermission('InvokedBySecretsManager', {
    principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
    action: 'lambda:InvokeFunction',
    sourceAccount: Stack.of(secret).account,
    sourceArn: secret.secretArn,
  });
  grantSecretRotation(secret, rotationFunction);
  const schedule = new secretsmanager.CfnRotationSchedule(new Construct(secret, 'RotationSchedule'), 'Resource', {
    secretId: secret.secretArn,
    rotationLambdaArn: rotationFunction.function.functionArn,
    ...props,
  });
  schedule.node.addDependency(rotationFunction);
  return schedule;
}
