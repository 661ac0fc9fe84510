import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST } from '../config/github-subjects';

/** Props of {@link GithubActionsRole}. */
export interface GithubActionsRoleProps {
  /** The account's GitHub OIDC provider. */
  readonly provider: iam.IOidcProvider;
  /** The role's name. */
  readonly roleName: string;
  /** The exact OIDC subjects trusted (`repo:ORG/REPO:environment:prod`, ...). No wildcards. */
  readonly subjects: string[];
  /**
   * Further token claims the role requires, exactly (claim name to value, e.g. `job_workflow_ref`), checked by STS as
   * `token.actions.githubusercontent.com:<claim>`.
   * @default none
   */
  readonly claims?: Record<string, string>;
  /** Everything the role may do (e.g. `sts:AssumeRole` on an environment's CDK bootstrap roles). */
  readonly statements: iam.PolicyStatement[];
  readonly description: string;
}

/**
 * An IAM role that GitHub Actions jobs assume through OIDC: trusted only for the audience
 * `sts.amazonaws.com` and exactly the given subjects, sessions of at most one hour, and allowed nothing but
 * the given statements.
 */
export class GithubActionsRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: GithubActionsRoleProps) {
    super(scope, id);
    for (const value of Object.values(props.claims ?? {})) {
      if (/[*?]/.test(value)) throw new Error(`GitHub OIDC claim "${value}" of role ${props.roleName} must not contain a wildcard`);
    }
    for (const subject of props.subjects) {
      if (/[*?]/.test(subject)) throw new Error(`GitHub OIDC subject "${subject}" of role ${props.roleName} must not contain a wildcard`);
    }
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: props.description,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.WebIdentityPrincipal(props.provider.oidcProviderArn, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_HOST}:sub`]: props.subjects.length === 1 ? props.subjects[0] : props.subjects,
          ...Object.fromEntries(Object.entries(props.claims ?? {}).map(([claim, value]) => [`${GITHUB_OIDC_HOST}:${claim}`, value])),
        },
      }),
      inlinePolicies: { Permissions: new iam.PolicyDocument({ statements: props.statements }) },
    });
  }
}
