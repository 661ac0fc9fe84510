import { Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { AccountConfig, EnvironmentConfig } from '../config/environment-config';
import {
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_HOST,
  PULL_REQUEST_ROLE_NAME,
  deployRoleName,
  deploySubject,
  deployWorkflowRef,
  pullRequestSubject,
} from '../config/github-subjects';
import { githubOidcStackId, resourceNames } from '../config/resource-names';
import { EnvironmentDeployPolicies } from '../constructs/environment-deploy-policies';
import { GithubActionsRole } from '../constructs/github-actions-role';

/** Props of {@link GithubOidcStack}. */
export interface GithubOidcStackProps extends StackProps {
  /** The account's settings. */
  readonly accountConfig: AccountConfig;
  /** Every environment that lives in this account (one or more). */
  readonly environments: EnvironmentConfig[];
}

/**
 * GitHub Actions access to one AWS account, so that no long-lived AWS key exists anywhere:
 * the account's one OIDC provider for `token.actions.githubusercontent.com` (created, or imported when it
 * already exists); per environment hosted here its deploy role (`gha-deploy-<env>`, which may assume only that
 * environment's CDK bootstrap roles) and the two policies that confine that bootstrap to the environment
 * ({@link EnvironmentDeployPolicies}); and the pull-request role (`gha-pr-diff`), which may read the app's stack
 * templates and nothing else.
 */
export class GithubOidcStack extends Stack {
  public readonly provider: iam.IOidcProvider;
  public readonly deployRoles: Record<string, iam.Role> = {};
  /** Per environment: its CloudFormation execution policy and permissions boundary. */
  public readonly deployPolicies: Record<string, EnvironmentDeployPolicies> = {};
  public readonly pullRequestRole: iam.Role;

  constructor(scope: Construct, id: string, props: GithubOidcStackProps) {
    super(scope, id, props);
    const { accountConfig, environments } = props;

    this.provider = accountConfig.importExistingOidcProvider
      ? iam.OidcProviderNative.fromOidcProviderArn(
          this,
          'Provider',
          `arn:${this.partition}:iam::${this.account}:oidc-provider/${GITHUB_OIDC_HOST}`,
        )
      : new iam.OidcProviderNative(this, 'Provider', {
          url: `https://${GITHUB_OIDC_HOST}`,
          clientIds: [GITHUB_OIDC_AUDIENCE],
        });

    for (const env of environments) {
      this.deployPolicies[env.name] = new EnvironmentDeployPolicies(this, `DeployPolicies-${env.name}`, {
        environment: env,
        otherEnvironments: environments.filter((other) => other !== env),
      });
      this.deployRoles[env.name] = new GithubActionsRole(this, `Deploy-${env.name}`, {
        provider: this.provider,
        roleName: deployRoleName(env),
        subjects: [deploySubject(env.github)],
        // Only the deploy workflow run from main: not another workflow, nor this one from a branch, in the environment.
        claims: { job_workflow_ref: deployWorkflowRef(env.github) },
        description: `GitHub Actions deploys of fleapo ${env.name} (cdk deploy through the ${env.name} CDK bootstrap roles only)`,
        statements: [
          new iam.PolicyStatement({
            actions: ['sts:AssumeRole'],
            resources: (['deploy', 'file-publishing', 'image-publishing', 'lookup'] as const).map(
              (kind) => `arn:${this.partition}:iam::${env.account}:role/${resourceNames(env).bootstrapRole(kind)}`,
            ),
          }),
        ],
      }).role;
    }

    this.pullRequestRole = new GithubActionsRole(this, 'PullRequestDiff', {
      provider: this.provider,
      roleName: PULL_REQUEST_ROLE_NAME,
      subjects: unique(environments.map((env) => pullRequestSubject(env.github))),
      description: "GitHub Actions pull-request runs: cdk diff --method=template reads the app stacks' templates, nothing else",
      statements: [
        // What `cdk diff --method=template` reads with the job's own credentials when it has no lookup role
        // (it warns and falls back): the deployed template of each stack of the app in this account.
        new iam.PolicyStatement({
          actions: ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate'],
          resources: [
            ...environments.map(
              (env) => `arn:${this.partition}:cloudformation:${env.region}:${env.account}:stack/${resourceNames(env).stackId}/*`,
            ),
            `arn:${this.partition}:cloudformation:${this.region}:${this.account}:stack/${githubOidcStackId(this.account)}/*`,
          ],
        }),
      ],
    }).role;
    for (const env of environments) {
      Validations.of(this.pullRequestRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${this.partition}:cloudformation:${env.region}:${env.account}:stack/${resourceNames(env).stackId}/*]`,
        reason: 'A stack ARN ends in a random id: the wildcard stands for that id of the named app stack only.',
      });
    }
    Validations.of(this.pullRequestRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${this.partition}:cloudformation:${this.region}:${this.account}:stack/${githubOidcStackId(this.account)}/*]`,
      reason: 'A stack ARN ends in a random id: the wildcard stands for that id of the named app stack only.',
    });
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}
