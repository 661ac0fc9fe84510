import { Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { AccountConfig, EnvironmentConfig } from '../config/environment-config';
import {
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_HOST,
  PULL_REQUEST_ROLE_NAME,
  deployRoleName,
  deploySubject,
  pullRequestSubject,
} from '../config/github-subjects';
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
 * already exists), one deploy role per environment hosted here (`gha-deploy-<env>`), and the read-only
 * pull-request role (`gha-pr-diff`) that may assume only the CDK lookup role for `cdk diff`.
 */
export class GithubOidcStack extends Stack {
  public readonly provider: iam.IOidcProvider;
  public readonly deployRoles: Record<string, iam.Role> = {};
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
      this.deployRoles[env.name] = new GithubActionsRole(this, `Deploy-${env.name}`, {
        provider: this.provider,
        roleName: deployRoleName(env),
        subjects: [deploySubject(env.github)],
        qualifier: accountConfig.cdkBootstrapQualifier,
        regions: [env.region],
        bootstrapRoles: ['deploy', 'file-publishing', 'image-publishing', 'lookup'],
        description: `GitHub Actions deploys of fleapo ${env.name} (cdk deploy through the CDK bootstrap roles)`,
      }).role;
    }

    this.pullRequestRole = new GithubActionsRole(this, 'PullRequestDiff', {
      provider: this.provider,
      roleName: PULL_REQUEST_ROLE_NAME,
      subjects: unique(environments.map((env) => pullRequestSubject(env.github))),
      qualifier: accountConfig.cdkBootstrapQualifier,
      regions: unique(environments.map((env) => env.region)),
      bootstrapRoles: ['lookup'],
      description: 'GitHub Actions pull-request runs: read-only cdk diff through the CDK lookup role',
    }).role;
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}
