import type { Template } from './synthesized-app';

/** Where a stack is deployed: what AWS::AccountId, AWS::Region and AWS::Partition resolve to. */
export interface StackLocation {
  readonly account: string;
  readonly region: string;
  /** CloudFormation names unnamed resources after their stack: two stacks' same logical ids are different resources. */
  readonly stackName?: string;
}

/**
 * The ARN a deployed resource of this template would have, by logical id, for the resource types whose
 * Ref or GetAtt Arn the policies of this project use. Secrets get the random 6-character suffix
 * Secrets Manager appends.
 */
export function physicalArns(template: Template, where: StackLocation): Record<string, string> {
  const { account, region } = where;
  const arns: Record<string, string> = {};
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    const id = `${where.stackName ?? 'stack'}-${logicalId}`;
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::SecretsManager::Secret':
        arns[logicalId] = `arn:aws:secretsmanager:${region}:${account}:secret:${p.Name}-AbCdEf`;
        break;
      case 'AWS::KMS::Key':
        arns[logicalId] = `arn:aws:kms:${region}:${account}:key/${id.toLowerCase()}`;
        break;
      case 'AWS::Logs::LogGroup':
        arns[logicalId] = `arn:aws:logs:${region}:${account}:log-group:${p.LogGroupName ?? id}:*`;
        break;
      case 'AWS::IAM::Role':
        arns[logicalId] = `arn:aws:iam::${account}:role/${p.RoleName ?? id}`;
        break;
      case 'AWS::IAM::OIDCProvider':
        arns[logicalId] = `arn:aws:iam::${account}:oidc-provider/${String(p.Url).replace(/^https:\/\//, '')}`;
        break;
      case 'AWS::ECS::Service':
        arns[logicalId] = `arn:aws:ecs:${region}:${account}:service/${p.Cluster}/${p.ServiceName ?? id}`;
        break;
      case 'AWS::ECS::TaskDefinition':
        arns[logicalId] = `arn:aws:ecs:${region}:${account}:task-definition/${p.Family ?? id}:1`;
        break;
      case 'AWS::Events::Rule':
        arns[logicalId] = `arn:aws:events:${region}:${account}:rule/${p.Name ?? id}`;
        break;
      case 'AWS::SNS::Topic':
        arns[logicalId] = `arn:aws:sns:${region}:${account}:${p.TopicName ?? id}`;
        break;
      case 'AWS::Lambda::Function':
        arns[logicalId] = `arn:aws:lambda:${region}:${account}:function:${p.FunctionName ?? id}`;
        break;
      default:
        arns[logicalId] = `arn:aws:unknown:${region}:${account}:${id}`;
    }
  }
  return arns;
}

/**
 * Resolves the intrinsic functions policies use (Ref, Fn::GetAtt …Arn, Fn::Sub of plain names, Fn::Join,
 * Fn::Select, Fn::Split, pseudo parameters).
 */
export function resolveIntrinsics(value: unknown, arns: Record<string, string>, where: StackLocation): any {
  const resolve = (v: unknown): any => resolveIntrinsics(v, arns, where);
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [key] = keys;
    const arg = obj[key] as any;
    switch (key) {
      case 'Ref':
        if (arg === 'AWS::AccountId') return where.account;
        if (arg === 'AWS::Region') return where.region;
        if (arg === 'AWS::Partition') return 'aws';
        if (arg === 'AWS::URLSuffix') return 'amazonaws.com';
        if (!(arg in arns)) throw new Error(`cannot resolve Ref ${arg}`);
        return arns[arg];
      case 'Fn::GetAtt':
        if (!(arg[0] in arns)) throw new Error(`cannot resolve GetAtt ${arg[0]}`);
        return arns[arg[0]];
      case 'Fn::Sub':
        if (typeof arg !== 'string') throw new Error('Fn::Sub with variables is not supported here');
        return arg.replace(/\$\{([^}]+)\}/g, (_m: string, name: string) => resolve({ Ref: name }));
      case 'Fn::Join':
        return (resolve(arg[1]) as string[]).join(arg[0]);
      case 'Fn::Select':
        return resolve(arg[1])[arg[0]];
      case 'Fn::Split':
        return String(resolve(arg[1])).split(arg[0]);
    }
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolve(v)]));
}

/** The documents of the AWS managed policies aws-cdk-lib attaches to Lambda roles (as AWS publishes them). */
const AWS_MANAGED_POLICIES: Record<string, any> = {
  AWSLambdaBasicExecutionRole: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
  AWSLambdaVPCAccessExecutionRole: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: '*',
      },
    ],
  },
};

/** Every IAM policy document attached to a role (inline, AWS::IAM::Policy), resolved to concrete ARNs. */
export function rolePolicies(template: Template, roleLogicalId: string, where: StackLocation): any[] {
  const arns = physicalArns(template, where);
  const role = template.Resources[roleLogicalId];
  const inline = (role.Properties?.Policies ?? []).map((p: any) => p.PolicyDocument);
  const attached = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles ?? []).some((ref: any) => ref.Ref === roleLogicalId))
    .map((r) => r.Properties.PolicyDocument);
  const managed = (role.Properties?.ManagedPolicyArns ?? []).map((arn: unknown) => {
    const name = String(resolveIntrinsics(arn, arns, where))
      .split('/')
      .pop()!;
    if (!AWS_MANAGED_POLICIES[name]) throw new Error(`role ${roleLogicalId} has managed policy ${name}: add its document to evaluate it`);
    return AWS_MANAGED_POLICIES[name];
  });
  return [...inline, ...attached, ...managed].map((doc) => resolveIntrinsics(doc, arns, where));
}

/** The trust policy of a role, resolved. */
export function trustPolicy(template: Template, roleLogicalId: string, where: StackLocation): any {
  return resolveIntrinsics(template.Resources[roleLogicalId].Properties.AssumeRolePolicyDocument, physicalArns(template, where), where);
}

/** The logical id of the one resource of `type` whose logical id starts with `prefix`. */
export function logicalIdOf(template: Template, type: string, prefix: string): string {
  const ids = Object.entries(template.Resources)
    .filter(([id, r]) => r.Type === type && id.startsWith(prefix))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type} with id ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}
