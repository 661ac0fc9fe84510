import type { EnvironmentConfig } from './environment-config';
import { resourceNames } from './resource-names';

/**
 * The principals expected to touch an environment's secrets: what `fleapo-secrets audit` does not flag and the
 * unexpected-reader alarm does not report. The role names are those the stack gives its roles (app-service.ts:
 * `fleapo-<env>-ecs-execution`; rotation-function.ts: each function's role is named as the function); a synth test
 * checks that each exists and that every role the stack lets read a secret is listed.
 */
export interface ExpectedPrincipal {
  /** The role's ARN (IAM, not the assumed-role session's). */
  readonly arn: string;
  /** Why it is expected, for the audit's output. */
  readonly why: string;
}

/** `aws`, `aws-cn` or `aws-us-gov`, from the region. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function expectedSecretPrincipals(env: EnvironmentConfig): ExpectedPrincipal[] {
  const role = (name: string) => `arn:${partitionOf(env.region)}:iam::${env.account}:role/${name}`;
  const names = resourceNames(env);
  return [
    { arn: role(names.ecsExecutionRole), why: 'the ECS task execution role (injects the secrets at task start)' },
    ...names.secretFunctions.map((name) => ({ arn: role(name), why: `the function ${name}` })),
    ...(env.breakGlassRoleArn ? [{ arn: env.breakGlassRoleArn, why: 'the configured break-glass role' }] : []),
  ];
}

/** AWS services that act on the secrets themselves (Secrets Manager starts scheduled rotations). */
export const EXPECTED_SERVICE_PRINCIPALS: readonly string[] = ['secretsmanager.amazonaws.com'];
