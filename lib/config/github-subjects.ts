import type { EnvironmentConfig, GithubConfig } from './environment-config';

/** The issuer host of GitHub Actions OIDC tokens; condition keys are `<host>:aud` and `<host>:sub`. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/** The audience `aws-actions/configure-aws-credentials` asks for. */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** The name of an environment's deploy role (the runbook's `gha-deploy`, one per environment). */
export function deployRoleName(env: EnvironmentConfig): string {
  return `gha-deploy-${env.name}`;
}

/** The name of the account's read-only role for pull-request diffs. */
export const PULL_REQUEST_ROLE_NAME = 'gha-pr-diff';

/** `repo:ORG/REPO`, or `repo:ORG@ORG_ID/REPO@REPO_ID` for repositories that have the immutable-id subject form. */
function repositoryClaim(github: GithubConfig): string {
  return github.ownerId && github.repositoryId
    ? `repo:${github.owner}@${github.ownerId}/${github.repository}@${github.repositoryId}`
    : `repo:${github.owner}/${github.repository}`;
}

/** The OIDC subject of the jobs allowed to deploy an environment: its GitHub environment, or its branch. */
export function deploySubject(github: GithubConfig): string {
  return github.deployEnvironment !== undefined
    ? `${repositoryClaim(github)}:environment:${github.deployEnvironment}`
    : `${repositoryClaim(github)}:ref:refs/heads/${github.deployBranch}`;
}

/** The OIDC subject of pull-request-triggered jobs of the repository. */
export function pullRequestSubject(github: GithubConfig): string {
  return `${repositoryClaim(github)}:pull_request`;
}

/**
 * The `job_workflow_ref` claim of the jobs allowed to deploy: the deploy workflow file of the repository, run from `main`
 * (from `deployBranch` when the environment deploys by branch). AWS STS checks it as the condition key
 * `token.actions.githubusercontent.com:job_workflow_ref` (docs/aws-facts.md, "GitHub OIDC claims in trust policies").
 */
export function deployWorkflowRef(github: GithubConfig): string {
  const ref = github.deployBranch !== undefined ? `refs/heads/${github.deployBranch}` : 'refs/heads/main';
  return `${github.owner}/${github.repository}/${github.deployWorkflow}@${ref}`;
}
