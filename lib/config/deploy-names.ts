import type { EnvironmentConfig } from './environment-config';

/**
 * Names that tie an environment's deploy chain together: its stack, its CDK bootstrap's roles and assets, and
 * the two policies that bound it. One place, used by the stacks, the GitHub roles and the docs' commands.
 */

/** The stack id (and CloudFormation stack name) of an environment. */
export const environmentStackId = (env: string): string => `Fleapo-${env}`;
/** The stack id of an account's GitHub OIDC resources. */
export const githubOidcStackId = (account: string): string => `FleapoGithubOidc-${account}`;

/** The CDK bootstrap roles (`cdk-<qualifier>-<kind>-role-<account>-<region>`). */
export type CdkBootstrapRole = 'deploy' | 'file-publishing' | 'image-publishing' | 'lookup' | 'cfn-exec';

/** The name of a CDK bootstrap role of `qualifier`. */
export function bootstrapRoleName(qualifier: string, kind: CdkBootstrapRole, account: string, region: string): string {
  return `cdk-${qualifier}-${kind}-role-${account}-${region}`;
}

/** The CDK bootstrap stack of an environment's qualifier (`cdk bootstrap --toolkit-stack-name`). */
export const bootstrapStackName = (env: EnvironmentConfig): string => `CDKToolkit-${env.cdkBootstrapQualifier}`;

/**
 * The environment's permissions boundary (customer-managed policy, defined by `FleapoGithubOidc-<account>`):
 * bounds every CDK bootstrap role of the environment's qualifier and every role its stack creates.
 */
export const boundaryPolicyName = (env: EnvironmentConfig): string => `fleapo-${env.name}-boundary`;
/** The environment's CloudFormation execution policy (`cdk bootstrap --cloudformation-execution-policies`). */
export const executionPolicyName = (env: EnvironmentConfig): string => `fleapo-${env.name}-cfn-execution`;

/** The environment's database role retirement function (`fleapo-secrets contain DATABASE_URL` invokes it). */
export const retirementFunctionName = (env: string): string => `fleapo-${env}-database-role-retirement`;
/** The rotation function of the secret whose path ends in `suffix` (catalog/secrets.ts), e.g. `fleapo-prod-auth-secret-rotation`. */
export const rotationFunctionName = (env: string, suffix: string): string => `fleapo-${env}-${suffix}-rotation`;
/** The task definition family of the environment's service. */
export const taskFamilyName = (env: string, serviceName: string): string => `fleapo-${env}-${serviceName}`;
