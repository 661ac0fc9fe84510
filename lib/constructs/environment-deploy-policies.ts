import { Annotations, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { resourceNames, type CdkBootstrapRole, type NamePatterns, type ResourceNames } from '../config/resource-names';
import type { EnvironmentConfig } from '../config/environment-config';
import { GITHUB_OIDC_HOST } from '../config/github-subjects';

/** Props of {@link EnvironmentDeployPolicies}. */
export interface EnvironmentDeployPoliciesProps {
  /** The environment whose deploy chain the policies bound. */
  readonly environment: EnvironmentConfig;
  /** The other environments of the same account: everything of theirs is denied by name. */
  readonly otherEnvironments: EnvironmentConfig[];
}

/** The tag every resource of an environment stack carries (the secrets excepted), `fleapo:environment`. */
export const ENVIRONMENT_TAG = 'fleapo:environment';

/** IAM's limit on a managed policy document (characters, whitespace excluded). */
export const MANAGED_POLICY_MAX_CHARS = 6144;

/**
 * The two customer-managed policies that confine an environment's deploy chain to that environment, so that
 * in an account shared with another environment a deploy of one can never read, change, rotate or delete the
 * other's secrets, keys, service or functions, or change the roles and policies that guard them:
 *
 * - `fleapo-<env>-cfn-execution`, the CloudFormation execution policy of the environment's CDK bootstrap
 *   (`cdk bootstrap --cloudformation-execution-policies`): what CloudFormation needs to create the environment
 *   stack's resources, on the environment's names only (`<secretPrefix>/*` secrets, `fleapo-<env>-*` functions,
 *   roles, rules, topics, alarms and log groups, keys tagged `fleapo:environment=<env>`, its ECS service and task
 *   family, security groups and endpoints in its VPC tagged for it). Roles only with the boundary below.
 * - `fleapo-<env>-boundary`, the permissions boundary of every bootstrap role of the environment's qualifier
 *   (`--custom-permissions-boundary`, `--apply-permissions-boundary-to-all-roles`) and of every role the
 *   environment stack creates: the above, what the bootstrap roles need on their own stack, bucket, repository
 *   and version parameter, and what the app's roles use at run time. The bootstrap deploy role's
 *   `cloudformation:*` on every stack is cut down to the environment's stack by it.
 *
 * Both deny, whatever else allows it: anything on another environment's names; IAM writes on the GitHub roles,
 * the OIDC provider, any fleapo policy and other qualifiers' bootstrap roles; creating a role or setting a
 * boundary other than this one; removing a boundary. Neither allows `sts:AssumeRole`: no role of the environment
 * can hop to another.
 */
export class EnvironmentDeployPolicies extends Construct {
  public readonly executionPolicy: iam.ManagedPolicy;
  public readonly boundary: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: EnvironmentDeployPoliciesProps) {
    super(scope, id);
    const names = new EnvironmentNames(Stack.of(this).partition, props.environment);
    const others = props.otherEnvironments.map((o) => new EnvironmentNames(names.partition, o));
    const denies = denyStatements(names, others, 'with-names');
    const resources = resourceStatements(names, 'execution');
    const boundary = [
      ...resourceStatements(names, 'boundary'),
      ...bootstrapStatements(names),
      ...runtimeStatements(names),
      ...denyStatements(names, others, 'without-names'),
    ];

    this.executionPolicy = new iam.ManagedPolicy(this, 'CloudFormationExecution', {
      managedPolicyName: names.names.executionPolicy,
      description: `CloudFormation execution policy of the fleapo ${props.environment.name} CDK bootstrap (qualifier ${props.environment.cdkBootstrapQualifier}): the ${props.environment.name} stack's resources only`,
      statements: [...resources, ...denies],
    });
    this.boundary = new iam.ManagedPolicy(this, 'Boundary', {
      managedPolicyName: names.names.boundaryPolicy,
      description: `Permissions boundary of every fleapo ${props.environment.name} role: its bootstrap roles and its stack's roles`,
      statements: boundary,
    });
    for (const policy of [this.executionPolicy, this.boundary]) {
      const size = JSON.stringify(Stack.of(this).resolve(policy.document)).length;
      if (size > MANAGED_POLICY_MAX_CHARS) {
        Annotations.of(policy).addError(
          `${policy.node.path}: ${size} characters, more than the ${MANAGED_POLICY_MAX_CHARS} IAM allows a managed policy (shorter secret prefix, fewer subnets or environments per account)`,
        );
      }
    }
    acknowledgeWildcards(this.executionPolicy, [...resources, ...denies]);
    acknowledgeWildcards(this.boundary, boundary);
  }
}

/** Acknowledges each wildcard of `statements` on `policy` (cdk-nag AwsSolutions-IAM5) with its statement's reason; denials need none. */
function acknowledgeWildcards(policy: iam.ManagedPolicy, statements: iam.PolicyStatement[]): void {
  for (const statement of statements) {
    if (statement.effect === iam.Effect.DENY) continue;
    const reason = reasons.get(statement);
    if (!reason) throw new Error('every allowed statement of the deploy policies has its reason');
    for (const action of statement.actions.filter((a) => a.includes('*'))) {
      Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
    }
    for (const resource of statement.resources.filter((r) => r.includes('*'))) {
      Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    }
  }
}

/**
 * The ARNs and ARN patterns of one environment's resources, as its stack and its bootstrap create them: each from the
 * names and name patterns of lib/config/resource-names.ts, the one place they are derived.
 */
export class EnvironmentNames {
  readonly env: EnvironmentConfig;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  /** The environment's physical names and name patterns. */
  readonly names: ResourceNames;

  constructor(
    readonly partition: string,
    env: EnvironmentConfig,
  ) {
    this.env = env;
    this.name = env.name;
    this.account = env.account;
    this.region = env.region;
    this.names = resourceNames(env);
  }

  arn(service: string, resource: string, region = this.region): string {
    return `arn:${this.partition}:${service}:${region}:${this.account}:${resource}`;
  }
  /** An EC2 resource by its id (`subnet/subnet-...`): ids are unique, so any region and account. */
  ec2Id(resource: string): string {
    return `arn:${this.partition}:ec2:*:*:${resource}`;
  }
  private get patterns(): NamePatterns {
    return this.names.patterns;
  }
  get secrets(): string {
    return this.arn('secretsmanager', `secret:${this.patterns.secrets}`);
  }
  get functions(): string {
    return this.arn('lambda', `function:${this.patterns.scoped}`);
  }
  get roles(): string {
    return this.arn('iam', `role/${this.patterns.scoped}`, '');
  }
  get logGroups(): string[] {
    return this.patterns.logGroups.map((group) => this.arn('logs', `log-group:${group}`));
  }
  get rules(): string {
    return this.arn('events', `rule/${this.patterns.scoped}`);
  }
  get topics(): string {
    return this.arn('sns', this.patterns.scoped);
  }
  get alarms(): string {
    return this.arn('cloudwatch', `alarm:${this.patterns.scoped}`);
  }
  /** The Contributor Insights rules its alarms read (see `RotationAlerts`). */
  get insightRules(): string {
    return this.arn('cloudwatch', `insight-rule/${this.patterns.scoped}`);
  }
  get keyAliases(): string[] {
    return this.patterns.keyAliases.map((alias) => this.arn('kms', alias));
  }
  get service(): string {
    return this.arn('ecs', `service/${this.names.cluster}/${this.names.service}`);
  }
  get cluster(): string {
    return this.arn('ecs', `cluster/${this.names.cluster}`);
  }
  get taskDefinitions(): string {
    return this.arn('ecs', `task-definition/${this.patterns.scoped}`);
  }
  get stack(): string {
    return this.arn('cloudformation', `stack/${this.names.stackId}/*`);
  }
  get policies(): string {
    return this.arn('iam', `policy/${this.patterns.scoped}`, '');
  }
  get boundaryArn(): string {
    return this.arn('iam', `policy/${this.names.boundaryPolicy}`, '');
  }
  get bootstrapRoles(): string {
    return this.arn('iam', `role/${this.patterns.bootstrapRoles}`, '');
  }
  bootstrapRole(kind: CdkBootstrapRole): string {
    return this.arn('iam', `role/${this.names.bootstrapRole(kind)}`, '');
  }
  get assetsBucket(): string {
    return `arn:${this.partition}:s3:::${this.names.assetsBucket}`;
  }
  get assetsRepository(): string {
    return this.arn('ecr', `repository/${this.names.assetsRepository}`);
  }
  get bootstrapVersionParameter(): string {
    return this.arn('ssm', `parameter${this.names.bootstrapVersionParameter}`);
  }
  /** Every ARN pattern of this environment that is a resource of its own (denied to the others). */
  get everything(): string[] {
    return [
      this.secrets,
      this.functions,
      this.roles,
      ...this.logGroups,
      this.rules,
      this.topics,
      this.alarms,
      this.insightRules,
      ...this.keyAliases,
      this.service,
      this.taskDefinitions,
      this.stack,
      this.policies,
      this.bootstrapRoles,
      this.assetsBucket,
      `${this.assetsBucket}/*`,
      this.assetsRepository,
    ];
  }
}

const tagged = (names: EnvironmentNames, kind: 'Resource' | 'Request') => ({
  StringEquals: { [`aws:${kind}Tag/${ENVIRONMENT_TAG}`]: names.name },
});

/** Why each allowed statement needs its wildcards (cdk-nag AwsSolutions-IAM5). */
const reasons = new WeakMap<iam.PolicyStatement, string>();
function allow(reason: string, actions: string[], resources: string[], conditions?: Record<string, unknown>): iam.PolicyStatement {
  const statement = new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) });
  reasons.set(statement, reason);
  return statement;
}

/**
 * What CloudFormation needs to create, update and delete the environment stack's resources: any action on the
 * environment's own names, keys and network resources only when tagged for the environment, and the reads
 * that have no resource. (Managed policies are limited to 6,144 characters: by name, not action by action.)
 */
function resourceStatements(n: EnvironmentNames, policy: 'execution' | 'boundary'): iam.PolicyStatement[] {
  // The boundary also lets a role create a network interface (a VPC function's, which Lambda creates with the function's
  // role) only in the environment's own subnets (below) and its own tagged security groups (`ec2:*` above): never in
  // another environment's network. The execution policy creates none (and has no room for it).
  const eni = policy === 'boundary';
  const ec2 = [n.arn('ec2', 'security-group/*'), n.arn('ec2', 'vpc-endpoint/*')];
  return [
    allow(
      "the environment's own names only: <secretPrefix>/* secrets (random ARN suffix), fleapo-<env>-* functions, roles, rules, topics, alarms and log groups, its key aliases, task family and service; roles only with its boundary (denied otherwise)",
      ['*'],
      [
        n.secrets,
        n.roles,
        // (`fleapo-<env>-*` also matches the log streams, `...:log-stream:NAME`.)
        ...n.logGroups,
        n.rules,
        n.topics,
        n.alarms,
        n.insightRules,
        ...n.keyAliases,
        n.taskDefinitions,
      ],
    ),
    // Where compute runs: a function or the service only in the environment's own subnets. Lambda (lambda:SubnetIds) and
    // ECS (ecs:subnet, its service-linked role creates the tasks' interfaces) name the subnets in the request; a
    // function or service with no subnets, or a call that does not change them, carries no such key (ForAllValues: allowed).
    allow(
      "the environment's fleapo-<env>-* functions and its service, placed only in its own subnets (lambda:SubnetIds, ecs:subnet)",
      ['*'],
      [n.functions, n.service],
      {
        'ForAllValues:StringEquals': {
          'lambda:SubnetIds': n.env.network.privateSubnetIds,
          'ecs:subnet': n.env.network.privateSubnetIds,
        },
      },
    ),
    allow(
      "key, security group and endpoint ids are random: only those tagged fleapo:environment with this environment's name",
      ['kms:*', 'ec2:*'],
      [n.arn('kms', 'key/*'), ...ec2],
      tagged(n, 'Resource'),
    ),
    allow(
      'new keys, security groups and endpoints have no id yet: created only with the tag fleapo:environment of this environment',
      ['kms:CreateKey', 'ec2:CreateSecurityGroup', 'ec2:CreateVpcEndpoint'],
      ['*'],
      tagged(n, 'Request'),
    ),
    allow(
      "tags written by the stack's own create calls only (ec2:CreateAction): an existing group or endpoint is never re-tagged",
      ['ec2:CreateTags'],
      ['*'],
      { StringEquals: { ...tagged(n, 'Request').StringEquals, 'ec2:CreateAction': ['CreateSecurityGroup', 'CreateVpcEndpoint'] } },
    ),
    // KMS authorizes the tags of CreateKey (tag-on-create) as kms:TagResource "in an IAM policy that isn't restricted to
    // particular KMS keys" (AWS KMS Developer Guide, "Controlling access to tags"; "Managing KMS key tags with API
    // operations": "the permission must cover all KMS keys in the account and Region"). So it is allowed here on `*` with
    // this environment's request tag, and the deny below (TAG_CHANGES) refuses it on every existing key not already
    // tagged for this environment: only the key being created, and this environment's own keys, can be tagged.
    allow(
      "tag-on-create of this environment's new keys (CreateKey with Tags needs kms:TagResource on all keys); existing keys are cut by a deny",
      ['kms:TagResource'],
      ['*'],
      tagged(n, 'Request'),
    ),
    allow(
      "the rule of the configured database security group that admits the rotation functions (rule ids are random); the environment's VPC and subnets" +
        (eni ? '; network interfaces (random ids) only in those subnets' : ''),
      [
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:RevokeSecurityGroupIngress',
        'ec2:CreateSecurityGroup',
        'ec2:CreateVpcEndpoint',
        ...(eni ? ['ec2:CreateNetworkInterface'] : []),
      ],
      [
        // (EC2 ids are unique, so these name one resource without a region or account: shorter, for IAM's size limit.)
        n.ec2Id(`security-group/${n.env.database.securityGroupId}`),
        n.arn('ec2', 'security-group-rule/*'),
        n.ec2Id(`vpc/${n.env.network.vpcId}`),
        ...n.env.network.privateSubnetIds.map((id) => n.ec2Id(`subnet/${id}`)),
        ...(eni ? [n.arn('ec2', 'network-interface/*')] : []),
      ],
    ),
    ...(n.env.network.createInterfaceEndpoints
      ? [
          allow(
            "interface endpoints with private DNS: EC2 associates the environment's VPC with the endpoint's AWS-managed private hosted zone (random id) in the creator's name",
            ['route53:AssociateVPCWithHostedZone'],
            [`arn:${n.partition}:route53:::hostedzone/*`],
          ),
        ]
      : []),
    // Lambda reads a function's code from the assets bucket with the credentials of whoever creates the function. (The
    // boundary allows the bucket's objects already, for the bootstrap roles: below.)
    ...(policy === 'execution'
      ? [allow("the functions' code in the environment's own CDK assets bucket", ['s3:GetObject*'], [`${n.assetsBucket}/*`])]
      : []),
    allow(
      'the assets bucket encryption, only through S3 (kms:ViaService), as in the CDK bootstrap template',
      ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      ['*'],
      {
        StringEquals: { 'kms:ViaService': `s3.${n.region}.amazonaws.com` },
      },
    ),
    allow(
      'actions with no resource-level permissions (GenerateSecretString, KMS and EC2 lists and descriptions, DescribeTaskDefinition, DescribeLogGroups)',
      ['secretsmanager:GetRandomPassword', 'kms:List*', 'ec2:Describe*', 'ecs:DescribeTaskDefinition', 'logs:DescribeLogGroups'],
      ['*'],
    ),
  ];
}

/** What the environment's CDK bootstrap roles (deploy, publishing, lookup) need, on the environment's own stack and assets. */
function bootstrapStatements(n: EnvironmentNames): iam.PolicyStatement[] {
  return [
    allow(
      "the environment's own stack (random ARN suffix), CDK assets bucket and repository, bootstrap version parameter, and passing its own execution role",
      ['*'],
      [n.stack, n.assetsBucket, `${n.assetsBucket}/*`, n.assetsRepository, n.bootstrapVersionParameter, n.bootstrapRole('cfn-exec')],
    ),
    allow(
      'CloudFormation reads, as the CDK deploy role has them (AWSCloudFormationReadOnlyAccess); templates hold no secret (guardrails); no resource-level permissions for the registry login and caller identity',
      [
        'cloudformation:Describe*',
        'cloudformation:Get*',
        'cloudformation:List*',
        'cloudformation:ValidateTemplate',
        'ecr:GetAuthorizationToken',
        'sts:GetCallerIdentity',
      ],
      ['*'],
    ),
  ];
}

/** What the environment's own roles (rotation functions, ECS task execution) may use at run time beyond its names. */
function runtimeStatements(n: EnvironmentNames): iam.PolicyStatement[] {
  const db = n.env.database;
  const image = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(n.env.service.image);
  return [
    allow(
      "the RDS master secret and its key, the app image's repository, the tasks of the environment's cluster (random ids)",
      [
        'secretsmanager:GetSecretValue',
        'kms:Decrypt',
        'ecr:BatchCheckLayerAvailability',
        'ecr:GetDownloadUrlForLayer',
        'ecr:BatchGetImage',
        'ecs:ListTasks',
        'ecs:DescribeTasks',
      ],
      [
        db.masterSecretArn,
        ...(db.masterSecretKmsKeyArn ? [db.masterSecretKmsKeyArn] : []),
        ...(image ? [`arn:${n.partition}:ecr:${image[2]}:${image[1]}:repository/${image[3]}`] : []),
        n.arn('ecs', `task/${n.env.service.clusterName}/*`),
        n.arn('ecs', `container-instance/${n.env.service.clusterName}/*`),
      ],
    ),
    allow(
      "the operator-read role's CloudTrail lookups (fleapo-<env>-operator-read): LookupEvents has no resource-level permission",
      ['cloudtrail:LookupEvents'],
      ['*'],
    ),
    allow(
      "the network-interface actions Lambda needs to manage a VPC function's interfaces (creating one: only in the environment's subnets, above)",
      ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      ['*'],
    ),
  ];
}

/**
 * What no role of the environment may do, whatever else allows it. `with-names` adds the denial of every name of the
 * other environments: the execution policy carries it; the boundary, an allow-list of this environment's names (the
 * other environments' are implicitly denied by it), leaves it out to stay within IAM's size limit.
 */
function denyStatements(n: EnvironmentNames, others: EnvironmentNames[], names: 'with-names' | 'without-names'): iam.PolicyStatement[] {
  const account = (resource: string) => `arn:${n.partition}:iam::${n.account}:${resource}`;
  const deny = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
    new iam.PolicyStatement({ effect: iam.Effect.DENY, actions, resources, ...(conditions ? { conditions } : {}) });
  // A deny may be broader than the names it stands for: any region and account (shorter, and the policy has a size limit).
  const anywhere = (arn: string) =>
    arn.replace(/^(arn:[^:]+:[^:]+):[^:]*:\d{12}:/, '$1:*:*:').replace(/^(arn:[^:]+:iam)::\d{12}:/, '$1::*:');
  return [
    // (The boundary allows keys tagged for this environment only: these denials are the execution policy's.)
    ...(others.length > 0 && names === 'with-names'
      ? [
          deny(['*'], [...new Set(others.flatMap((o) => o.everything.map(anywhere)))]),
          ...others.map((o) => deny(['kms:*'], ['*'], { StringEquals: { [`aws:ResourceTag/${ENVIRONMENT_TAG}`]: o.name } })),
        ]
      : []),
    // Re-tag, then own: no tag may be written or removed on a network resource or key that is not already tagged for this
    // environment (another environment's, or untagged: the account's default security group, the RDS storage key, a key
    // with the default key policy), except the tags of the stack's own create calls: ec2:CreateAction, and for KMS the
    // execution role, which acts only through CloudFormation on the stack's own resources (created, never imported: the
    // bootstrap template denies resource import) and is denied every key tagged for another environment.
    deny(
      ['ec2:CreateTags', 'ec2:DeleteTags', 'kms:TagResource', 'kms:UntagResource'],
      [`arn:${n.partition}:ec2:*:*:*`, `arn:${n.partition}:kms:*:*:key/*`],
      {
        Null: { 'ec2:CreateAction': 'true' },
        StringNotEquals: { [`aws:ResourceTag/${ENVIRONMENT_TAG}`]: n.name },
        ArnNotEquals: { 'aws:PrincipalArn': n.bootstrapRole('cfn-exec') },
      },
    ),
    // Services run only in the environment's own cluster (a task definition does not say where it runs), and in its own
    // subnets (the placement statement above). Standalone tasks not at all (below): RunTask and StartTask take no subnet or
    // security-group key, and ECS creates a task's interface with its own service-linked role, so a task of this
    // environment's could be placed in any subnet of the account with any security group. Nothing here runs one.
    deny(['ecs:CreateService', 'ecs:UpdateService'], ['*'], { ArnNotEquals: { 'ecs:cluster': n.cluster } }),
    // Who may be let in: IAM cannot read a trust or key policy's principals, so only the stack (the execution role) may
    // change trust, key and topic policies and function permissions; a function's permission only for the services the
    // stack uses; a secret's resource policy only with Secrets Manager's public-policy block.
    deny(
      [
        'iam:CreateRole',
        'iam:UpdateAssumeRolePolicy',
        'kms:PutKeyPolicy',
        'kms:CreateGrant',
        'sns:SetTopicAttributes',
        'sns:AddPermission',
        'lambda:AddPermission',
      ],
      ['*'],
      { ArnNotEquals: { 'aws:PrincipalArn': n.bootstrapRole('cfn-exec') } },
    ),
    deny(['lambda:AddPermission'], ['*'], { StringNotEquals: { 'lambda:Principal': LAMBDA_INVOKERS } }),
    deny(['secretsmanager:PutResourcePolicy'], ['*'], { BoolIfExists: { 'secretsmanager:BlockPublicPolicy': 'false' } }),
    // Every IAM write (anything but reads and PassRole) on the GitHub roles, the OIDC provider, the fleapo policies and
    // every qualifier's bootstrap roles.
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      notActions: ['iam:Get*', 'iam:List*', 'iam:PassRole'],
      resources: ['role/gha-*', `oidc-provider/${GITHUB_OIDC_HOST}`, 'policy/fleapo-*', 'role/cdk-*'].map((r) => anywhere(account(r))),
    }),
    deny(['iam:CreateRole', 'iam:PutRolePermissionsBoundary'], ['*'], { StringNotEquals: { 'iam:PermissionsBoundary': n.boundaryArn } }),
    deny(
      [
        'iam:DeleteRolePermissionsBoundary',
        'iam:CreateUser',
        'iam:CreateAccessKey',
        'iam:CreateLoginProfile',
        'sts:AssumeRole',
        'ecs:RunTask',
        'ecs:StartTask',
        // Public or outside access through resources the stack does not own: the bootstrap's bucket and repository, URLs.
        's3:PutBucketPolicy',
        's3:Put*Acl',
        'ecr:SetRepositoryPolicy',
        'lambda:CreateFunctionUrlConfig',
        'lambda:UpdateFunctionUrlConfig',
      ],
      ['*'],
    ),
  ];
}

/** The services that may invoke the environment's functions (AWS::Lambda::Permission principals of its stack). */
export const LAMBDA_INVOKERS = ['secretsmanager.amazonaws.com', 'events.amazonaws.com'];
