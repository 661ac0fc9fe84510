import { createHash } from 'crypto';
import { bootstrapRoles, BOOTSTRAP_MANAGED_POLICIES, type BootstrapRole } from '../../infra/cdk-bootstrap';
import { physicalArns, resolveIntrinsics, rolePolicies, type StackLocation } from '../../infra/resolve-arns';
import { resourcesOfType, type Template } from '../../infra/synthesized-app';
import type { Caller } from './evaluator';

/**
 * The world the isolation search runs in: the principals an attacker holding staging starts with, every principal
 * those could become, and every resource of prod — the synthesized prod template's and those that exist outside it
 * (bootstrap roles and bucket, the RDS keys and master secret, the configured and default security groups, the
 * cluster, the OIDC provider, the GitHub roles) — each with its ARN, account, `fleapo:environment` tag and resource
 * policy, all read from the synthesized templates and the CDK CLI's bootstrap template.
 */

export const ENVIRONMENT_TAG = 'fleapo:environment';

/** A principal: an IAM role (or a stand-in for a caller outside the templates) with its policies. */
export interface Principal extends Caller {
  readonly label: string;
}

/** A resource the search acts on. */
export interface WorldResource {
  readonly arn: string;
  readonly account: string;
  readonly label: string;
  /** `prod` for everything the proof protects (prod's and the account's shared resources), else `staging`. */
  readonly side: 'prod' | 'staging';
  /** Its `fleapo:environment` tag today (undefined: untagged). */
  readonly tag?: string;
  /** Its resource policy: a role's trust policy, a key policy. */
  readonly policy?: any;
  /** A role: the principal one becomes when one controls it. A function or task definition: its role(s). */
  readonly runsAs?: string[];
  /** A CloudWatch alarm: the metric it watches. */
  readonly metric?: { namespace: string; name: string; dimensions: Record<string, string> };
  /** A task definition: the images it runs. */
  readonly images?: string[];
}

/** A GitHub Actions OIDC role: what its trust policy asks of the token. */
export interface WebIdentityRole {
  readonly roleArn: string;
  readonly providerArn: string;
  readonly trust: any;
}

/** Where the environments live. */
export interface Layout {
  readonly name: string;
  readonly region: string;
  readonly accounts: { staging: string; prod: string };
  readonly qualifiers: { staging: string; prod: string };
  /** The GitHub repository (`owner/name`) whose OIDC tokens the deploy roles trust. */
  readonly repository: string;
  /**
   * The bootstrap template the environments are bootstrapped with (parsed): the project's
   * (bootstrap/fleapo-bootstrap-template.yaml, generated for the layout's configuration). Absent: the CDK CLI's own.
   */
  readonly bootstrapTemplate?: any;
}

/** What the positive controls substitute: the documents as they were before the fixes (see the fixture). */
export interface WorldOverrides {
  /** Managed policy documents by ARN (the staging execution policy and boundary). */
  readonly managedPolicies?: Record<string, any>;
  /** The trust policy of every bootstrap role, by kind (`deploy`, `cfn-exec`, ...). */
  readonly bootstrapTrust?: Record<string, any>;
  /** Role trust policies by role name (gha-deploy-prod). */
  readonly roleTrust?: Record<string, any>;
  /** Prod's task definition images. */
  readonly prodImages?: string[];
  /** Prod's alarms' metrics, by alarm name. */
  readonly prodAlarmMetrics?: Record<string, { namespace: string; name: string; dimensions: Record<string, string> }>;
  /** The staging image of the configuration (the repository the staging pipeline pushes to). */
  readonly stagingImage?: string;
}

export interface World {
  readonly layout: Layout;
  /** What an attacker holding staging controls at the start, by ARN. */
  readonly start: Principal[];
  /** Every principal one can come to control (by role ARN). */
  readonly principals: Map<string, Principal>;
  readonly resources: WorldResource[];
  readonly webIdentityRoles: WebIdentityRole[];
  /** Resources staging owns that the probes act on (its log groups, task definitions, functions, ...), by ARN. */
  readonly stagingOwned: WorldResource[];
  /** Prod's cluster, subnets and security groups (what condition keys such as ecs:cluster may name). */
  readonly prodPlacement: { cluster: string; subnets: string[]; securityGroups: string[] };
  /** Staging's own subnets (where a staging function is placed when the probe names only a prod security group). */
  readonly stagingSubnets: string[];
  /** The VPCs of staging and prod (a security group is attached only within its VPC). */
  readonly vpcs: { staging: string; prod: string };
  /** The staging image pushed by the pipeline (outside the templates). */
  readonly stagingImage: string;
}

/** Inputs read from the synthesized configuration (the environments' network and database ids). */
export interface EnvironmentFacts {
  readonly vpcId: string;
  readonly subnetIds: string[];
  readonly serviceSecurityGroupIds: string[];
  readonly databaseSecurityGroupId: string;
  readonly masterSecretArn: string;
  readonly masterSecretKmsKeyArn?: string;
  readonly clusterName: string;
  readonly image: string;
  readonly breakGlassRoleArn?: string;
  /** The principals the operator roles trust (`environments.<env>.operators.trustedPrincipalArns`), outside the templates. */
  readonly operatorPrincipalArns?: string[];
}

const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const defaultKeyPolicy = (account: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
});

const tagOf = (p: any): string | undefined => (p?.Tags ?? []).find((t: any) => t.Key === ENVIRONMENT_TAG)?.Value;

/** The managed policies of the account stacks by ARN (resolved), with the bootstrap's AWS managed ones. */
function managedPolicies(templates: Record<string, Template>, region: string): Record<string, any> {
  const out: Record<string, any> = { ...BOOTSTRAP_MANAGED_POLICIES };
  for (const [name, t] of Object.entries(templates)) {
    if (!name.startsWith('FleapoGithubOidc-')) continue;
    const where = { account: name.split('-')[1], region };
    for (const r of Object.values(resourcesOfType(t, 'AWS::IAM::ManagedPolicy'))) {
      out[`arn:aws:iam::${where.account}:policy/${r.Properties.ManagedPolicyName}`] = resolveIntrinsics(
        r.Properties.PolicyDocument,
        physicalArns(t, where),
        where,
      );
    }
  }
  return out;
}

/** A role's principal, its boundary looked up among the managed policies (a missing document fails: it would be unbounded). */
function principalOf(
  label: string,
  arn: string,
  account: string,
  identity: any[],
  boundaryArn: string | undefined,
  policies: Record<string, any>,
): Principal {
  if (boundaryArn && !policies[boundaryArn]) throw new Error(`${label}: no document for its boundary ${boundaryArn}`);
  return { label, arn, account, identity, ...(boundaryArn ? { boundary: [policies[boundaryArn]] } : {}) };
}

function bootstrapPrincipals(
  env: 'staging' | 'prod',
  layout: Layout,
  policies: Record<string, any>,
  overrides: WorldOverrides,
): { role: BootstrapRole; kind: string; principal: Principal }[] {
  const account = layout.accounts[env];
  const roles = bootstrapRoles({
    account,
    region: layout.region,
    qualifier: layout.qualifiers[env],
    executionPolicies: [`arn:aws:iam::${account}:policy/fleapo-${env}-cfn-execution`],
    permissionsBoundary: `fleapo-${env}-boundary`,
    applyBoundaryToAllRoles: true,
    ...(layout.bootstrapTemplate ? { template: layout.bootstrapTemplate } : {}),
  });
  return Object.entries(roles).map(([kind, role]) => {
    const managed = role.managedPolicyArns.map((arn) => {
      if (!policies[arn]) throw new Error(`bootstrap ${kind} role: no document for managed policy ${arn}`);
      return policies[arn];
    });
    const trust = overrides.bootstrapTrust?.[kind] ?? role.trust;
    return {
      role: { ...role, trust },
      kind,
      principal: principalOf(
        `${env} CDK bootstrap ${kind} role`,
        role.arn,
        account,
        [...role.policies, ...managed],
        role.boundaryArn,
        policies,
      ),
    };
  });
}

/** A stand-in for the random id EC2 gives a resource: 17 hex digits, distinct per stack and logical id. */
const randomId = (where: StackLocation, id: string) => createHash('sha256').update(`${where.stackName}/${id}`).digest('hex').slice(0, 17);

/** The ARN of a template resource the physical-ARN helper does not name (security groups, endpoints, alarms, aliases). */
function arnOf(type: string, id: string, p: any, arns: Record<string, string>, where: StackLocation): string {
  const { account, region } = where;
  switch (type) {
    case 'AWS::EC2::SecurityGroup':
      return `arn:aws:ec2:${region}:${account}:security-group/sg-${randomId(where, id)}`;
    case 'AWS::EC2::VPCEndpoint':
      return `arn:aws:ec2:${region}:${account}:vpc-endpoint/vpce-${randomId(where, id)}`;
    case 'AWS::CloudWatch::Alarm':
      return `arn:aws:cloudwatch:${region}:${account}:alarm:${p.AlarmName}`;
    case 'AWS::KMS::Alias':
      return `arn:aws:kms:${region}:${account}:${p.AliasName}`;
    case 'AWS::CloudWatch::InsightRule':
      return `arn:aws:cloudwatch:${region}:${account}:insight-rule/${p.RuleName}`;
    default:
      return arns[id];
  }
}

/** Template resource types that are not resources of their own (parts of another, or a CloudFormation construct). */
const NOT_A_RESOURCE = new Set([
  'AWS::IAM::Policy',
  'AWS::Lambda::Permission',
  'AWS::SecretsManager::RotationSchedule',
  'AWS::SNS::TopicPolicy', // the topic's resource policy: attached to the topic below
  'AWS::SecretsManager::ResourcePolicy', // the secret's resource policy: attached to the secret below
  'AWS::EC2::SecurityGroupIngress',
  'AWS::EC2::SecurityGroupEgress',
  'AWS::Logs::MetricFilter',
  'AWS::Logs::SubscriptionFilter',
]);

/** The resources and role principals of an environment's synthesized stack. */
function stackResources(
  env: 'staging' | 'prod',
  template: Template,
  layout: Layout,
  policies: Record<string, any>,
  overrides: WorldOverrides,
): { resources: WorldResource[]; principals: Principal[] } {
  const where: StackLocation = { account: layout.accounts[env], region: layout.region, stackName: `Fleapo-${env}` };
  const arns = physicalArns(template, where);
  const resolve = (v: unknown) => resolveIntrinsics(v, arns, where);
  const resources: WorldResource[] = [];
  const principals: Principal[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    if (NOT_A_RESOURCE.has(r.Type)) continue;
    const p = r.Properties ?? {};
    const arn = arnOf(r.Type, id, p, arns, where);
    if (!arn || arn.startsWith('arn:aws:unknown:')) throw new Error(`isolation world: no ARN for ${r.Type} ${id}: add it`);
    const base = {
      arn,
      account: where.account,
      label: `${env} ${r.Type.replace('AWS::', '')} ${p.RoleName ?? p.FunctionName ?? p.Name ?? p.AlarmName ?? p.LogGroupName ?? p.AliasName ?? id}`,
      side: env,
      tag: tagOf(p),
    } as const;
    switch (r.Type) {
      case 'AWS::IAM::Role': {
        const boundary = p.PermissionsBoundary ? String(resolve(p.PermissionsBoundary)) : undefined;
        principals.push(
          principalOf(`${env} role ${p.RoleName ?? id}`, arn, where.account, rolePolicies(template, id, where), boundary, policies),
        );
        resources.push({ ...base, policy: resolve(p.AssumeRolePolicyDocument), runsAs: [arn] });
        break;
      }
      case 'AWS::KMS::Key':
        resources.push({ ...base, policy: resolve(p.KeyPolicy) });
        break;
      case 'AWS::Lambda::Function':
        resources.push({ ...base, runsAs: [String(resolve(p.Role))] });
        break;
      case 'AWS::ECS::TaskDefinition': {
        const images = (p.ContainerDefinitions ?? []).map((c: any) => String(resolve(c.Image)));
        resources.push({
          ...base,
          runsAs: [p.TaskRoleArn, p.ExecutionRoleArn].filter(Boolean).map((x) => String(resolve(x))),
          images: env === 'prod' && overrides.prodImages ? overrides.prodImages : images,
        });
        break;
      }
      case 'AWS::CloudWatch::Alarm': {
        // One metric, or metric math over several: a forged input moves the alarm, so a customer namespace wins.
        const watched = [
          ...(p.Namespace ? [{ Namespace: p.Namespace, MetricName: p.MetricName, Dimensions: p.Dimensions }] : []),
          ...(p.Metrics ?? []).map((m: any) => m.MetricStat?.Metric).filter(Boolean),
        ].map((m: any) => ({
          namespace: String(m.Namespace),
          name: String(m.MetricName),
          dimensions: Object.fromEntries((m.Dimensions ?? []).map((d: any) => [d.Name, String(resolve(d.Value))])),
        }));
        const metric =
          (env === 'prod' && overrides.prodAlarmMetrics?.[p.AlarmName]) ||
          watched.find((m) => !m.namespace.startsWith('AWS/')) ||
          watched[0];
        resources.push({ ...base, ...(metric ? { metric } : {}) });
        break;
      }
      default:
        resources.push(base);
    }
  }
  attachResourcePolicies(template, resources, resolve, env);
  resources.push(...insightRuleInputs(template, where, env, resources));
  return { resources, principals };
}

/**
 * The resource policies the template writes as resources of their own, on the resource they belong to (so the evaluator
 * decides every request on that resource with them): each secret's `AWS::SecretsManager::ResourcePolicy` (issue 17's
 * deny-only statements), the alert topic's `AWS::SNS::TopicPolicy`. A policy whose target is not in the world fails.
 */
function attachResourcePolicies(template: Template, resources: WorldResource[], resolve: (v: unknown) => any, env: string): void {
  const attach = (targetArn: string, policy: any, what: string) => {
    const i = resources.findIndex((r) => r.arn === targetArn);
    if (i < 0) throw new Error(`isolation world: ${env} ${what} names ${targetArn}, which is not in the world`);
    if (resources[i].policy) throw new Error(`isolation world: ${resources[i].label} has two resource policies`);
    resources[i] = { ...resources[i], policy };
  };
  for (const r of Object.values(resourcesOfType(template, 'AWS::SecretsManager::ResourcePolicy')))
    attach(String(resolve(r.Properties.SecretId)), resolve(r.Properties.ResourcePolicy), 'secret resource policy');
  for (const r of Object.values(resourcesOfType(template, 'AWS::SNS::TopicPolicy')))
    for (const topic of [resolve(r.Properties.Topics)].flat()) attach(String(topic), resolve(r.Properties.PolicyDocument), 'topic policy');
}

/**
 * What the Contributor Insights rules (lib/constructs/own-log-count.ts) count: the records of the log groups they name.
 * Whoever writes a record into one of those log groups moves the alarms that read the rule (`INSIGHT_RULE_METRIC`), so
 * each log group a rule reads is a resource of the rule's environment, with a log stream to write into; a name ending
 * in `*` also reads log groups nobody has created yet: one of those (`<prefix>attacker-probe`) stands for them all.
 */
function insightRuleInputs(template: Template, where: StackLocation, env: 'staging' | 'prod', existing: WorldResource[]): WorldResource[] {
  const out: WorldResource[] = [];
  const has = (arn: string) => existing.some((r) => r.arn === arn) || out.some((r) => r.arn === arn);
  for (const r of Object.values(resourcesOfType(template, 'AWS::CloudWatch::InsightRule'))) {
    const rule = r.Properties.RuleName;
    const body = JSON.parse(r.Properties.RuleBody);
    for (const name of body.LogGroupNames ?? []) {
      const prefix = String(name).endsWith('*');
      const group = prefix ? `${String(name).slice(0, -1)}attacker-probe` : String(name);
      const groupArn = `arn:aws:logs:${where.region}:${where.account}:log-group:${group}`;
      const what = prefix ? `a log group ${group} (not created yet) that ${env}'s insight rule ${rule} reads` : `log group ${group}`;
      if (!has(`${groupArn}:*`)) out.push({ arn: `${groupArn}:*`, account: where.account, label: `${env} ${what}`, side: env });
      const stream = `${groupArn}:log-stream:attacker-probe`;
      if (!has(stream))
        out.push({
          arn: stream,
          account: where.account,
          label: `${env} a log stream of ${group}: its records count in insight rule ${rule}`,
          side: env,
        });
    }
  }
  return out;
}

/** The world of a layout from its synthesized templates and the configuration's facts of each environment. */
export function buildWorld(
  templates: Record<string, Template>,
  layout: Layout,
  facts: { staging: EnvironmentFacts; prod: EnvironmentFacts },
  overrides: WorldOverrides = {},
): World {
  const { region, accounts } = layout;
  const policies = { ...managedPolicies(templates, region), ...overrides.managedPolicies };
  const principals = new Map<string, Principal>();
  const resources: WorldResource[] = [];
  const add = (p: Principal) => principals.set(p.arn, p);

  // GitHub OIDC stacks: the deploy roles, the pull-request diff role, the provider.
  const webIdentityRoles: WebIdentityRole[] = [];
  let ghaStaging: Principal | undefined;
  const prHeld: Principal[] = [];
  for (const [name, t] of Object.entries(templates)) {
    if (!name.startsWith('FleapoGithubOidc-')) continue;
    const account = name.split('-')[1];
    const where = { account, region };
    const arns = physicalArns(t, where);
    for (const [id, r] of Object.entries(t.Resources)) {
      const p = r.Properties;
      if (r.Type === 'AWS::IAM::OIDCProvider') {
        resources.push({
          arn: arns[id],
          account,
          label: `OIDC provider of account ${account}`,
          side: account === accounts.staging && account !== accounts.prod ? 'staging' : 'prod',
        });
      }
      if (r.Type !== 'AWS::IAM::Role') continue;
      const trust = overrides.roleTrust?.[p.RoleName] ?? resolveIntrinsics(p.AssumeRolePolicyDocument, arns, where);
      const principal = principalOf(`role ${p.RoleName}`, arns[id], account, rolePolicies(t, id, where), undefined, policies);
      add(principal);
      const providerArn = String(trust.Statement[0]?.Principal?.Federated ?? '');
      webIdentityRoles.push({ roleArn: arns[id], providerArn, trust });
      // Any pull request holds the diff role by design (it reads the stacks' templates only): it is staging's too.
      const staging = p.RoleName === 'gha-deploy-staging' || p.RoleName === 'gha-pr-diff';
      if (p.RoleName === 'gha-deploy-staging') ghaStaging = principal;
      else if (staging) prHeld.push(principal);
      // In one account the pull-request role is shared by both environments: the proof protects it as prod's.
      resources.push({
        arn: arns[id],
        account,
        label: `role ${p.RoleName}`,
        side: staging || (account === accounts.staging && account !== accounts.prod) ? 'staging' : 'prod',
        policy: trust,
        runsAs: [arns[id]],
      });
    }
    for (const r of Object.values(resourcesOfType(t, 'AWS::IAM::ManagedPolicy'))) {
      const arn = `arn:aws:iam::${account}:policy/${r.Properties.ManagedPolicyName}`;
      resources.push({
        arn,
        account,
        label: `managed policy ${r.Properties.ManagedPolicyName}`,
        side: arn.includes('fleapo-staging-') ? 'staging' : 'prod',
      });
    }
  }
  if (!ghaStaging) throw new Error('isolation world: no gha-deploy-staging role in the templates');

  // The environments' stacks.
  const staging = stackResources('staging', templates['Fleapo-staging'], layout, policies, overrides);
  const prod = stackResources('prod', templates['Fleapo-prod'], layout, policies, overrides);
  for (const p of [...staging.principals, ...prod.principals]) add(p);
  resources.push(...staging.resources, ...prod.resources);
  // Alarms of the overrides the prod template no longer has: they watch their metric as before the fixes.
  for (const [name, metric] of Object.entries(overrides.prodAlarmMetrics ?? {})) {
    const arn = `arn:aws:cloudwatch:${region}:${accounts.prod}:alarm:${name}`;
    if (!resources.some((r) => r.arn === arn))
      resources.push({ arn, account: accounts.prod, label: `prod alarm ${name} (pre-fix)`, side: 'prod', metric });
  }

  // The CDK bootstraps.
  const bootstraps = {
    staging: bootstrapPrincipals('staging', layout, policies, overrides),
    prod: bootstrapPrincipals('prod', layout, policies, overrides),
  };
  for (const env of ['staging', 'prod'] as const) {
    const account = accounts[env];
    const q = layout.qualifiers[env];
    for (const b of bootstraps[env]) {
      add(b.principal);
      resources.push({
        arn: b.role.arn,
        account,
        label: `${env} CDK bootstrap ${b.kind} role`,
        side: env,
        policy: b.role.trust,
        runsAs: [b.role.arn],
      });
    }
    const bucket = `cdk-${q}-assets-${account}-${region}`;
    resources.push(
      { arn: `arn:aws:s3:::${bucket}`, account, label: `${env} CDK assets bucket`, side: env },
      { arn: `arn:aws:s3:::${bucket}/assets.zip`, account, label: `${env} CDK assets (an object)`, side: env },
      {
        arn: `arn:aws:ecr:${region}:${account}:repository/cdk-${q}-container-assets-${account}-${region}`,
        account,
        label: `${env} CDK image assets repository`,
        side: env,
      },
      {
        arn: `arn:aws:ssm:${region}:${account}:parameter/cdk-bootstrap/${q}/version`,
        account,
        label: `${env} CDK bootstrap version parameter`,
        side: env,
      },
      {
        arn: `arn:aws:cloudformation:${region}:${account}:stack/Fleapo-${env}/0a1b2c3d-0000-0000-0000-000000000000`,
        account,
        label: `stack Fleapo-${env}`,
        side: env,
      },
    );
  }

  // What exists outside the templates, in each environment.
  const stagingOwned = resources.filter((r) => r.side === 'staging');
  for (const env of ['staging', 'prod'] as const) {
    const f = facts[env];
    const account = accounts[env];
    const ec2 = (res: string) => `arn:aws:ec2:${region}:${account}:${res}`;
    const outside: WorldResource[] = [
      {
        arn: `arn:aws:ecs:${region}:${account}:cluster/${f.clusterName}`,
        account,
        label: `${env} ECS cluster ${f.clusterName}`,
        side: env,
      },
      { arn: f.masterSecretArn, account, label: `${env} RDS master secret`, side: env },
      {
        arn: `arn:aws:kms:${region}:${account}:key/rds-storage-${env}`,
        account,
        label: `${env} RDS storage key (untagged)`,
        side: env,
        policy: defaultKeyPolicy(account),
      },
      ...(f.masterSecretKmsKeyArn
        ? [
            {
              arn: f.masterSecretKmsKeyArn,
              account,
              label: `${env} RDS master secret key (untagged)`,
              side: env,
              policy: defaultKeyPolicy(account),
            },
          ]
        : [
            {
              arn: `arn:aws:kms:${region}:${account}:key/rds-master-secret-${env}`,
              account,
              label: `${env} RDS master secret key (untagged, customer managed)`,
              side: env,
              policy: defaultKeyPolicy(account),
            },
          ]),
      { arn: ec2(`security-group/${f.databaseSecurityGroupId}`), account, label: `${env} database security group (untagged)`, side: env },
      ...f.serviceSecurityGroupIds.map((sg) => ({
        arn: ec2(`security-group/${sg}`),
        account,
        label: `${env} service security group ${sg} (untagged)`,
        side: env,
      })),
      { arn: ec2(`security-group/sg-default-${env}`), account, label: `${env} VPC's default security group (untagged)`, side: env },
      { arn: ec2(`vpc/${f.vpcId}`), account, label: `${env} VPC`, side: env },
      ...f.subnetIds.map((s) => ({ arn: ec2(`subnet/${s}`), account, label: `${env} subnet ${s}`, side: env })),
    ] as WorldResource[];
    const repo = imageRepository(f.image);
    if (repo) outside.push({ arn: repo, account: repo.split(':')[4], label: `${env} app image repository`, side: env });
    if (f.breakGlassRoleArn) outside.push({ arn: f.breakGlassRoleArn, account, label: `${env} break-glass role`, side: env });
    // The principals the operator roles trust: configured, outside the templates (an SSO permission-set role, a user).
    // A permission-set role (path aws-reserved/sso.amazonaws.com/) trusts only the account's IAM Identity Center SAML
    // provider, as Identity Center writes it (and lets nobody else change it); any other configured principal's trust is
    // not known here, so it is left without one (the evaluator then lets its own account's identity policies reach it).
    for (const arn of f.operatorPrincipalArns ?? []) {
      const principalAccount = arn.split(':')[4];
      const sso = /:role\/aws-reserved\/sso\.amazonaws\.com\//.test(arn);
      outside.push({
        arn,
        account: principalAccount,
        label: `${env} operator principal ${arn.split('/').pop()} (configured)`,
        side: env,
        ...(sso ? { policy: identityCenterTrust(principalAccount), runsAs: [arn] } : {}),
      });
    }
    // One repository for both images (the example configuration): the proof protects it as prod's.
    for (const r of outside) if (!resources.some((x) => x.arn === r.arn)) resources.push(r);
  }

  const stagingImage = overrides.stagingImage ?? facts.staging.image;
  const stagingRepo = imageRepository(stagingImage);
  const start: Principal[] = [
    ghaStaging,
    ...prHeld,
    ...bootstraps.staging.map((b) => b.principal),
    ...staging.principals,
    {
      label: 'a role created under the staging boundary (any identity policy)',
      arn: `arn:aws:iam::${accounts.staging}:role/fleapo-staging-created-by-attacker`,
      account: accounts.staging,
      identity: [ALLOW_ALL],
      boundary: [policies[`arn:aws:iam::${accounts.staging}:policy/fleapo-staging-boundary`]],
    },
    {
      label: "any other principal of staging's account whose own policy allows sts:AssumeRole (PowerUserAccess does)",
      arn: `arn:aws:iam::${accounts.staging}:role/any-account-principal`,
      account: accounts.staging,
      identity: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }],
    },
    ...(stagingRepo
      ? [
          {
            label: `the pipeline that pushes staging's image to ${stagingRepo.split('/').pop()} (outside the templates)`,
            arn: `arn:aws:iam::${accounts.staging}:role/staging-image-pipeline`,
            account: accounts.staging,
            identity: [
              {
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: ['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload'],
                    Resource: stagingRepo,
                  },
                ],
              },
            ],
          },
        ]
      : []),
  ];
  return {
    layout,
    start,
    principals,
    resources,
    webIdentityRoles,
    stagingOwned,
    prodPlacement: {
      cluster: `arn:aws:ecs:${region}:${accounts.prod}:cluster/${facts.prod.clusterName}`,
      subnets: facts.prod.subnetIds,
      securityGroups: [...facts.prod.serviceSecurityGroupIds, facts.prod.databaseSecurityGroupId],
    },
    stagingSubnets: facts.staging.subnetIds,
    vpcs: { staging: facts.staging.vpcId, prod: facts.prod.vpcId },
    stagingImage,
  };
}

/** The trust policy IAM Identity Center gives a permission-set role: its SAML provider's sign-in only. */
const identityCenterTrust = (account: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::${account}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE` },
      Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession'],
      Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
    },
  ],
});

/** The ECR repository ARN of an image reference (`<account>.dkr.ecr.<region>.amazonaws.com/<name>[:tag|@digest]`). */
export function imageRepository(image: string): string | undefined {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
  return m ? `arn:aws:ecr:${m[2]}:${m[1]}:repository/${m[3]}` : undefined;
}

/** Whether an image reference names a mutable tag (not a digest). */
export const isMutableImage = (image: string): boolean => !/@sha256:[0-9a-f]{64}$/.test(image);
