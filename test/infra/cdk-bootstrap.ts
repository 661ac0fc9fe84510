import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

/**
 * The IAM roles of a CDK bootstrap, read from the bootstrap template the installed CDK CLI deploys
 * (`cdk bootstrap`), with the parameters the bootstrap commands of docs/bootstrap-and-first-deploy.md give it. So the tests evaluate the
 * roles as the CLI creates them, not a copy of them.
 */

const TEMPLATE = path.join(__dirname, '..', '..', 'node_modules', 'aws-cdk', 'lib', 'api', 'bootstrap', 'bootstrap-template.yaml');

/** The parameters of one `cdk bootstrap` run. */
export interface BootstrapParameters {
  readonly account: string;
  readonly region: string;
  readonly qualifier: string;
  /** `--cloudformation-execution-policies` (ARNs). */
  readonly executionPolicies: string[];
  /** `--custom-permissions-boundary` (a policy name). */
  readonly permissionsBoundary?: string;
  /** `--apply-permissions-boundary-to-all-roles`. */
  readonly applyBoundaryToAllRoles?: boolean;
  /** `--template`: the template (parsed) instead of the CLI's own, e.g. the project's (scripts/bootstrap-template.ts). */
  readonly template?: any;
}

/** One bootstrap role: its ARN, trust policy, identity policies (inline, attached, managed) and boundary ARN. */
export interface BootstrapRole {
  readonly arn: string;
  readonly trust: any;
  readonly policies: any[];
  readonly managedPolicyArns: string[];
  readonly boundaryArn?: string;
}

const NO_VALUE = Symbol('AWS::NoValue');

/** The roles of a bootstrap by kind: deploy, file-publishing, image-publishing, lookup, cfn-exec. */
export function bootstrapRoles(params: BootstrapParameters): Record<string, BootstrapRole> {
  const template = params.template ?? parse(fs.readFileSync(TEMPLATE, 'utf8'));
  const { account, region, qualifier } = params;
  const values: Record<string, unknown> = {};
  for (const [name, p] of Object.entries<any>(template.Parameters)) values[name] = p.Default ?? '';
  Object.assign(values, {
    Qualifier: qualifier,
    CloudFormationExecutionPolicies: params.executionPolicies,
    InputPermissionsBoundary: params.permissionsBoundary ?? '',
    ApplyPermissionsBoundaryToAllRoles: params.applyBoundaryToAllRoles ? 'true' : 'false',
    FileAssetsBucketKmsKeyId: 'AWS_MANAGED_KEY', // what the CLI passes unless --bootstrap-customer-key
    TrustedAccounts: [],
    TrustedAccountsForLookup: [],
    'AWS::AccountId': account,
    'AWS::Region': region,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  });
  const roleArn = (kind: string) => `arn:aws:iam::${account}:role/cdk-${qualifier}-${kind}-role-${account}-${region}`;
  const names: Record<string, string> = {
    StagingBucket: `cdk-${qualifier}-assets-${account}-${region}`,
    'StagingBucket.Arn': `arn:aws:s3:::cdk-${qualifier}-assets-${account}-${region}`,
    'ContainerAssetsRepository.Arn': `arn:aws:ecr:${region}:${account}:repository/cdk-${qualifier}-container-assets-${account}-${region}`,
    CdkBootstrapVersion: `/cdk-bootstrap/${qualifier}/version`,
    DeploymentActionRole: `cdk-${qualifier}-deploy-role-${account}-${region}`,
    FilePublishingRole: `cdk-${qualifier}-file-publishing-role-${account}-${region}`,
    ImagePublishingRole: `cdk-${qualifier}-image-publishing-role-${account}-${region}`,
    LookupRole: `cdk-${qualifier}-lookup-role-${account}-${region}`,
    CloudFormationExecutionRole: `cdk-${qualifier}-cfn-exec-role-${account}-${region}`,
    'CloudFormationExecutionRole.Arn': roleArn('cfn-exec'),
    'DeploymentActionRole.Arn': roleArn('deploy'),
  };
  const conditions: Record<string, boolean> = {};
  const condition = (name: string): boolean => (conditions[name] ??= Boolean(resolve(template.Conditions[name])));

  function resolve(v: any): any {
    if (Array.isArray(v)) return v.map(resolve).filter((x) => x !== NO_VALUE);
    if (v === null || typeof v !== 'object') return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [k] = keys;
      const a = v[k];
      switch (k) {
        case 'Ref':
          if (a === 'AWS::NoValue') return NO_VALUE;
          if (a in values) return values[a];
          if (a in names) return names[a];
          throw new Error(`bootstrap template: cannot resolve Ref ${a}`);
        case 'Fn::Sub': {
          const vars: Record<string, unknown> = Array.isArray(a) ? resolve(a[1]) : {};
          return String(Array.isArray(a) ? a[0] : a).replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
            const value = name in vars ? vars[name] : name in values ? values[name] : names[name];
            if (value === undefined) throw new Error(`bootstrap template: cannot resolve \${${name}}`);
            return String(value);
          });
        }
        case 'Fn::FindInMap': {
          const [map, top, second] = a.map((x: unknown) => resolve(x));
          const value = template.Mappings?.[map]?.[top]?.[second];
          if (value === undefined) throw new Error(`bootstrap template: no mapping ${map}.${top}.${second}`);
          return value;
        }
        case 'Fn::GetAtt':
          return names[`${a[0]}.${a[1]}`];
        case 'Fn::If':
          return condition(a[0]) ? resolve(a[1]) : resolve(a[2]);
        case 'Fn::Join':
          return (resolve(a[1]) as unknown[]).join(a[0]);
        case 'Fn::Equals':
          return resolve(a[0]) === resolve(a[1]);
        case 'Fn::Not':
          return !resolve(a[0]);
        case 'Fn::And':
          return a.every((x: unknown) => resolve(x));
        case 'Fn::Or':
          return a.some((x: unknown) => resolve(x));
        case 'Condition':
          return condition(a);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(v)) {
      const r = resolve(value);
      if (r !== NO_VALUE) out[key] = r;
    }
    return out;
  }

  const kinds: Record<string, string> = {
    DeploymentActionRole: 'deploy',
    FilePublishingRole: 'file-publishing',
    ImagePublishingRole: 'image-publishing',
    LookupRole: 'lookup',
    CloudFormationExecutionRole: 'cfn-exec',
  };
  const roles: Record<string, BootstrapRole> = {};
  for (const [logicalId, kind] of Object.entries(kinds)) {
    const p = resolve(template.Resources[logicalId].Properties);
    const attached = Object.values<any>(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((ref: any) => ref.Ref === logicalId))
      .map((r) => resolve(r.Properties.PolicyDocument));
    roles[kind] = {
      arn: roleArn(kind),
      trust: p.AssumeRolePolicyDocument,
      policies: [...(p.Policies ?? []).map((x: any) => x.PolicyDocument), ...attached],
      managedPolicyArns: [p.ManagedPolicyArns ?? []].flat(),
      boundaryArn: p.PermissionsBoundary,
    };
  }
  return roles;
}

/** AWS managed policies the bootstrap roles carry, as documents (the read-only parts that matter here). */
export const BOOTSTRAP_MANAGED_POLICIES: Record<string, any> = {
  'arn:aws:iam::aws:policy/AWSCloudFormationReadOnlyAccess': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'cloudformation:Describe*',
          'cloudformation:EstimateTemplateCost',
          'cloudformation:Get*',
          'cloudformation:List*',
          'cloudformation:ValidateTemplate',
          'cloudformation:Detect*',
        ],
        Resource: '*',
      },
    ],
  },
  // Broad reads: enough to show the boundary cuts what ReadOnlyAccess would give (secrets, keys, code).
  'arn:aws:iam::aws:policy/ReadOnlyAccess': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'secretsmanager:Describe*',
          'secretsmanager:List*',
          'lambda:Get*',
          'kms:Describe*',
          'ecs:Describe*',
          's3:Get*',
          'logs:Get*',
        ],
        Resource: '*',
      },
    ],
  },
};
