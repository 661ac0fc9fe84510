import { EXAMPLE_CONFIG } from '../../lib/config/example-config';
import { mergeConfig } from '../../lib/config/load-config';
import { validateConfig } from '../../lib/config/validate-config';
import { evaluate } from './iam-evaluator';
import { logicalIdOf, physicalArns, rolePolicies, trustPolicy, type StackLocation } from './resolve-arns';
import { resourcesOfType, synthesizeApp, type Template } from './synthesized-app';

const ACCOUNT = '111111111111';
const WHERE: StackLocation = { account: ACCOUNT, region: 'us-east-1' };
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
const REPO = 'repo:fleapo/fleapo-secrets';
let oidc: Template;

beforeAll(() => {
  oidc = synthesizeApp()[`FleapoGithubOidc-${ACCOUNT}`];
});

function role(roleName: string) {
  const id = Object.entries(resourcesOfType(oidc, 'AWS::IAM::Role')).find(([, r]) => r.Properties.RoleName === roleName)?.[0];
  if (!id) throw new Error(`no role ${roleName}`);
  return {
    arn: physicalArns(oidc, WHERE)[id],
    trust: trustPolicy(oidc, id, WHERE),
    policies: rolePolicies(oidc, id, WHERE),
    properties: oidc.Resources[id].Properties,
  };
}

/** The `job_workflow_ref` claim of a job of the deploy workflow run from `main` (what the deploy roles require). */
const DEPLOY_WORKFLOW_ON_MAIN = 'fleapo/fleapo-secrets/.github/workflows/deploy.yml@refs/heads/main';

/** May a GitHub Actions job whose token carries this subject and audience (and job_workflow_ref) assume the role? */
function assumeWithToken(
  roleName: string,
  sub: string,
  aud = 'sts.amazonaws.com',
  jobWorkflowRef: string | null = DEPLOY_WORKFLOW_ON_MAIN,
) {
  const r = role(roleName);
  return evaluate({
    principal: PROVIDER,
    action: 'sts:AssumeRoleWithWebIdentity',
    resource: r.arn,
    resourceAccount: ACCOUNT,
    resourcePolicy: r.trust,
    context: {
      'token.actions.githubusercontent.com:sub': sub,
      'token.actions.githubusercontent.com:aud': aud,
      ...(jobWorkflowRef === null ? {} : { 'token.actions.githubusercontent.com:job_workflow_ref': jobWorkflowRef }),
    },
  });
}

function assumeFrom(roleName: string, target: string) {
  const r = role(roleName);
  return evaluate({ principal: r.arn, identityPolicies: r.policies, action: 'sts:AssumeRole', resource: target, resourceAccount: ACCOUNT });
}

const QUALIFIER: Record<string, string> = { staging: 'fleapostg', prod: 'fleapoprod' };
const bootstrapRole = (kind: string, qualifier = 'hnb659fds', region = 'us-east-1') =>
  `arn:aws:iam::${ACCOUNT}:role/cdk-${qualifier}-${kind}-role-${ACCOUNT}-${region}`;

describe.each([
  ['gha-deploy-prod', 'prod'],
  ['gha-deploy-staging', 'staging'],
])('the deploy role %s', (roleName, env) => {
  test('admits the deploy subject of its GitHub environment with audience sts.amazonaws.com', async () => {
    await expect(assumeWithToken(roleName, `${REPO}:environment:${env}`)).resolves.toBe('Allowed');
  });

  test.each([
    ['a pull request', `${REPO}:pull_request`],
    ['the main branch without the environment', `${REPO}:ref:refs/heads/main`],
    ['another branch', `${REPO}:ref:refs/heads/feature`],
    ['a tag', `${REPO}:ref:refs/tags/v1.0.0`],
    ['the other environment', `${REPO}:environment:${env === 'prod' ? 'staging' : 'prod'}`],
    ['another repository of the owner', `repo:fleapo/other:environment:${env}`],
    ['a fork', `repo:attacker/fleapo-secrets:environment:${env}`],
    ['a look-alike repository', `repo:fleapo/fleapo-secrets-fork:environment:${env}`],
    ['a wildcard-looking subject', `${REPO}:*`],
  ])('rejects %s', async (_what, sub) => {
    await expect(assumeWithToken(roleName, sub)).resolves.toBe('ImplicitlyDenied');
  });

  test.each([
    [
      'the deploy workflow run from another branch (its file as changed there)',
      'fleapo/fleapo-secrets/.github/workflows/deploy.yml@refs/heads/feature',
    ],
    ['another workflow of the repository on main', 'fleapo/fleapo-secrets/.github/workflows/pull-request.yml@refs/heads/main'],
    ['the deploy workflow of a pull request', 'fleapo/fleapo-secrets/.github/workflows/deploy.yml@refs/pull/7/merge'],
    ["another repository's reusable workflow", 'attacker/tools/.github/workflows/deploy.yml@refs/heads/main'],
    ['no job_workflow_ref claim', null],
  ])('rejects a job of its GitHub environment that is not the deploy workflow on main: %s', async (_what, ref) => {
    await expect(assumeWithToken(roleName, `${REPO}:environment:${env}`, 'sts.amazonaws.com', ref)).resolves.toBe('ImplicitlyDenied');
  });

  test('rejects another audience', async () => {
    await expect(assumeWithToken(roleName, `${REPO}:environment:${env}`, 'https://github.com/fleapo')).resolves.toBe('ImplicitlyDenied');
  });

  test("may only assume its own environment's CDK bootstrap roles (its qualifier, account and region), for at most one hour", async () => {
    const other = env === 'prod' ? 'staging' : 'prod';
    for (const kind of ['deploy', 'file-publishing', 'image-publishing', 'lookup']) {
      await expect(assumeFrom(roleName, bootstrapRole(kind, QUALIFIER[env]))).resolves.toBe('Allowed');
      await expect(assumeFrom(roleName, bootstrapRole(kind, QUALIFIER[other]))).resolves.toBe('ImplicitlyDenied');
      await expect(assumeFrom(roleName, bootstrapRole(kind))).resolves.toBe('ImplicitlyDenied');
    }
    await expect(assumeFrom(roleName, bootstrapRole('cfn-exec', QUALIFIER[env]))).resolves.toBe('ImplicitlyDenied');
    await expect(assumeFrom(roleName, bootstrapRole('deploy', QUALIFIER[env], 'eu-west-1'))).resolves.toBe('ImplicitlyDenied');
    await expect(assumeFrom(roleName, `arn:aws:iam::${ACCOUNT}:role/admin`)).resolves.toBe('ImplicitlyDenied');
    await expect(assumeFrom(roleName, `arn:aws:iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-us-east-1`)).resolves.toBe(
      'ImplicitlyDenied',
    );
    const r = role(roleName);
    const actions = r.policies.flatMap((doc) => doc.Statement.flatMap((s: any) => [s.Action].flat()));
    expect(new Set(actions)).toEqual(new Set(['sts:AssumeRole']));
    expect(r.properties.MaxSessionDuration).toBe(3600);
    expect(r.properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('the pull-request role gha-pr-diff', () => {
  test('admits pull-request runs of the repository only', async () => {
    await expect(assumeWithToken('gha-pr-diff', `${REPO}:pull_request`)).resolves.toBe('Allowed');
    for (const sub of [`${REPO}:environment:prod`, `${REPO}:ref:refs/heads/main`, 'repo:attacker/fleapo-secrets:pull_request']) {
      await expect(assumeWithToken('gha-pr-diff', sub)).resolves.toBe('ImplicitlyDenied');
    }
    await expect(assumeWithToken('gha-pr-diff', `${REPO}:pull_request`, 'other')).resolves.toBe('ImplicitlyDenied');
  });

  test("may read the app stacks' templates (what cdk diff --method=template reads) and nothing else: no bootstrap role, no lookup role", async () => {
    const r = role('gha-pr-diff');
    const may = (action: string, resource: string) =>
      evaluate({ principal: r.arn, identityPolicies: r.policies, action, resource, resourceAccount: ACCOUNT }).then(
        (d) => `${action} ${resource}: ${d}`,
      );
    const stack = (name: string) => `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/${name}/0a1b2c3d-0000-0000-0000-000000000000`;
    for (const name of ['Fleapo-staging', 'Fleapo-prod', `FleapoGithubOidc-${ACCOUNT}`]) {
      for (const action of ['cloudformation:GetTemplate', 'cloudformation:DescribeStacks']) {
        await expect(may(action, stack(name))).resolves.toBe(`${action} ${stack(name)}: Allowed`);
      }
      await expect(may('cloudformation:CreateChangeSet', stack(name))).resolves.toBe(
        `cloudformation:CreateChangeSet ${stack(name)}: ImplicitlyDenied`,
      );
    }
    await expect(may('cloudformation:GetTemplate', stack('SomeoneElsesStack'))).resolves.toBe(
      `cloudformation:GetTemplate ${stack('SomeoneElsesStack')}: ImplicitlyDenied`,
    );
    for (const kind of ['deploy', 'file-publishing', 'image-publishing', 'lookup']) {
      for (const qualifier of ['hnb659fds', 'fleapostg', 'fleapoprod']) {
        await expect(may('sts:AssumeRole', bootstrapRole(kind, qualifier))).resolves.toBe(
          `sts:AssumeRole ${bootstrapRole(kind, qualifier)}: ImplicitlyDenied`,
        );
      }
    }
    for (const [action, resource] of [
      ['secretsmanager:GetSecretValue', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:fleapo/prod/auth-secret-AbCdEf`],
      ['s3:GetObject', 'arn:aws:s3:::cdk-fleapoprod-assets-111111111111-us-east-1/x.zip'],
      ['lambda:GetFunction', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:fleapo-prod-auth-secret-rotation`],
      ['logs:GetLogEvents', `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/fleapo-prod-auth-secret-rotation:log-stream:x`],
    ]) {
      await expect(may(action, resource)).resolves.toBe(`${action} ${resource}: ImplicitlyDenied`);
    }
  });
});

describe('the OIDC provider', () => {
  const providers = (templates: Record<string, Template>) =>
    Object.entries(templates).flatMap(([stack, t]) =>
      Object.values(resourcesOfType(t, 'AWS::IAM::OIDCProvider')).map((p) => ({ stack, ...p.Properties })),
    );

  test('exists once per account when staging and prod share it, for token.actions.githubusercontent.com and sts.amazonaws.com', () => {
    const found = providers(synthesizeApp());
    expect(found).toEqual([
      {
        stack: `FleapoGithubOidc-${ACCOUNT}`,
        Url: 'https://token.actions.githubusercontent.com',
        ClientIdList: ['sts.amazonaws.com'],
        Tags: expect.anything(),
      },
    ]);
  });

  test('exists once in each account when staging and prod live in two accounts, each with its own roles', () => {
    const config = validateConfig(
      mergeConfig(EXAMPLE_CONFIG, {
        environments: {
          staging: {
            account: '222222222222',
            database: { masterSecretArn: 'arn:aws:secretsmanager:us-east-1:222222222222:secret:rds-staging-AbCdEf' },
          },
        },
        accounts: { '222222222222': {} },
      }),
    );
    const templates = synthesizeApp({ config });
    expect(
      providers(templates)
        .map((p) => p.stack)
        .sort(),
    ).toEqual(['FleapoGithubOidc-111111111111', 'FleapoGithubOidc-222222222222']);
    const roleNames = (stack: string) =>
      Object.values(resourcesOfType(templates[stack], 'AWS::IAM::Role'))
        .map((r) => r.Properties.RoleName)
        .sort();
    expect(roleNames('FleapoGithubOidc-111111111111')).toEqual(['gha-deploy-prod', 'gha-pr-diff']);
    expect(roleNames('FleapoGithubOidc-222222222222')).toEqual(['gha-deploy-staging', 'gha-pr-diff']);
  });

  test('is imported, not created, when the account already has one', () => {
    const config = validateConfig(mergeConfig(EXAMPLE_CONFIG, { accounts: { [ACCOUNT]: { importExistingOidcProvider: true } } }));
    const templates = synthesizeApp({ config });
    expect(providers(templates)).toEqual([]);
    const oidcStack = templates[`FleapoGithubOidc-${ACCOUNT}`];
    const deployRole = logicalIdOf(oidcStack, 'AWS::IAM::Role', 'Deployprod');
    expect(trustPolicy(oidcStack, deployRole, WHERE).Statement[0].Principal.Federated).toBe(PROVIDER);
  });

  test('trusts the immutable-id subject form for repositories that use it', async () => {
    const config = validateConfig(
      mergeConfig(EXAMPLE_CONFIG, { environments: { prod: { github: { ownerId: '1001', repositoryId: '2002' } } } }),
    );
    const oidcStack = synthesizeApp({ config })[`FleapoGithubOidc-${ACCOUNT}`];
    const id = logicalIdOf(oidcStack, 'AWS::IAM::Role', 'Deployprod');
    const trust = trustPolicy(oidcStack, id, WHERE);
    const request = (sub: string) =>
      evaluate({
        principal: PROVIDER,
        action: 'sts:AssumeRoleWithWebIdentity',
        resource: `arn:aws:iam::${ACCOUNT}:role/gha-deploy-prod`,
        resourceAccount: ACCOUNT,
        resourcePolicy: trust,
        context: {
          'token.actions.githubusercontent.com:sub': sub,
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
          'token.actions.githubusercontent.com:job_workflow_ref': DEPLOY_WORKFLOW_ON_MAIN,
        },
      });
    await expect(request('repo:fleapo@1001/fleapo-secrets@2002:environment:prod')).resolves.toBe('Allowed');
    await expect(request('repo:fleapo@1001/fleapo-secrets@9999:environment:prod')).resolves.toBe('ImplicitlyDenied');
  });
});
