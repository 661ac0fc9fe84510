import { EXAMPLE_CONFIG } from '../../lib/config/example-config';
import { mergeConfig } from '../../lib/config/load-config';
import { validateConfig } from '../../lib/config/validate-config';
import type { FleapoConfig } from '../../lib/config/environment-config';
import { fleapoBootstrapTemplate } from '../../scripts/bootstrap-template';
import { BOOTSTRAP_MANAGED_POLICIES, bootstrapRoles, type BootstrapRole } from './cdk-bootstrap';
import { evaluate, type Decision } from './iam-evaluator';
import { physicalArns, resolveIntrinsics, rolePolicies, type StackLocation } from './resolve-arns';
import { resourcesOfType, synthesizeApp, type Template } from './synthesized-app';

/**
 * The whole deploy chain of an environment, evaluated with the IAM policy engine:
 * GitHub job -> gha-deploy-<env> -> the CDK bootstrap roles it may assume (read from the CDK CLI's own
 * bootstrap template, with the bootstrap parameters of docs/bootstrap-and-first-deploy.md) -> what each may do, its boundary included ->
 * the CloudFormation execution role: allowed what the environment's synthesized template needs, resource by
 * resource, and denied the same for the other environment's template, and any escalation.
 */

const REGION = 'us-east-1';
const QUALIFIERS: Record<string, string> = { staging: 'fleapostg', prod: 'fleapoprod' };

interface Layout {
  readonly name: string;
  readonly accounts: Record<string, string>;
}
const SHARED: Layout = { name: 'one shared account', accounts: { staging: '111111111111', prod: '111111111111' } };
const SEPARATE: Layout = { name: 'an account per environment', accounts: { staging: '222222222222', prod: '111111111111' } };

/** The layout's configuration as written (before validation), to patch further. */
function rawConfigOf(layout: Layout): unknown {
  if (layout === SHARED) return EXAMPLE_CONFIG;
  return mergeConfig(EXAMPLE_CONFIG, {
    environments: {
      staging: {
        account: layout.accounts.staging,
        database: { masterSecretArn: `arn:aws:secretsmanager:${REGION}:${layout.accounts.staging}:secret:rds!cluster-staging-AbCdEf` },
        service: { image: `${layout.accounts.staging}.dkr.ecr.${REGION}.amazonaws.com/fleapo-web:staging` },
      },
    },
    accounts: { [layout.accounts.staging]: {} },
  });
}

function configOf(layout: Layout): FleapoConfig {
  return validateConfig(rawConfigOf(layout));
}

function synth(layout: Layout): Record<string, Template> {
  return layout === SHARED ? synthesizeApp() : synthesizeApp({ config: configOf(layout) });
}

/** The managed policies of the account stacks, by ARN, resolved. */
function managedPolicies(templates: Record<string, Template>): Record<string, any> {
  const out: Record<string, any> = { ...BOOTSTRAP_MANAGED_POLICIES };
  for (const [name, t] of Object.entries(templates)) {
    if (!name.startsWith('FleapoGithubOidc-')) continue;
    const account = name.split('-')[1];
    const where = { account, region: REGION };
    for (const r of Object.values(resourcesOfType(t, 'AWS::IAM::ManagedPolicy'))) {
      out[`arn:aws:iam::${account}:policy/${r.Properties.ManagedPolicyName}`] = resolveIntrinsics(
        r.Properties.PolicyDocument,
        physicalArns(t, where),
        where,
      );
    }
  }
  return out;
}

/**
 * The bootstrap of an environment (docs/bootstrap-and-first-deploy.md): the project's bootstrap template (generated
 * for the layout's configuration), its qualifier, its execution policy, its boundary on every role.
 */
function environmentBootstrap(env: string, account: string, layout: Layout, config = configOf(layout)) {
  return bootstrapRoles({
    account,
    region: REGION,
    qualifier: QUALIFIERS[env],
    executionPolicies: [`arn:aws:iam::${account}:policy/fleapo-${env}-cfn-execution`],
    permissionsBoundary: `fleapo-${env}-boundary`,
    applyBoundaryToAllRoles: true,
    template: fleapoBootstrapTemplate(config),
  });
}

/** A request of a bootstrap role, with its identity policies and its permissions boundary. */
function asRole(role: BootstrapRole, policies: Record<string, any>, account: string) {
  const managed = role.managedPolicyArns.map((arn) => {
    if (!policies[arn]) throw new Error(`no document for managed policy ${arn}`);
    return policies[arn];
  });
  if (!role.boundaryArn || !policies[role.boundaryArn]) throw new Error(`role ${role.arn} has no known boundary (${role.boundaryArn})`);
  return {
    principal: role.arn,
    identityPolicies: [...role.policies, ...managed],
    permissionBoundaries: [policies[role.boundaryArn]],
    resourceAccount: account,
  };
}

interface CreateRequest {
  readonly what: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** The key policy, for KMS requests on a key (KMS needs it to delegate to IAM). */
  readonly resourcePolicy?: any;
}

/**
 * What CloudFormation asks of the execution role to create each resource of a synthesized environment
 * template: the create action on the resource's ARN, with the tags and boundary the template gives it.
 * A resource type missing here fails the test: add it, and make sure the execution policy covers it.
 */
function createRequests(template: Template, where: StackLocation): CreateRequest[] {
  const arns = physicalArns(template, where);
  const resolve = (v: unknown) => resolveIntrinsics(v, arns, where);
  const { account, region } = where;
  const out: CreateRequest[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    const env = (p.Tags ?? []).find((t: any) => t.Key === 'fleapo:environment')?.Value as string | undefined;
    const requestTag: Record<string, string | string[]> = env
      ? { 'aws:RequestTag/fleapo:environment': env, 'aws:TagKeys': ['fleapo:environment'] }
      : {};
    const resourceTag: Record<string, string> = env ? { 'aws:ResourceTag/fleapo:environment': env } : {};
    const add = (action: string, resource: string, context?: Record<string, string | string[]>, resourcePolicy?: any) =>
      out.push({ what: `${r.Type} ${id}`, action, resource, context, resourcePolicy });
    const keyPolicy = (keyId: string) => resolve(template.Resources[keyId].Properties.KeyPolicy);
    const secretPolicy = (secretId: { Ref: string }) =>
      resolve(
        Object.values(template.Resources).find(
          (x) => x.Type === 'AWS::SecretsManager::ResourcePolicy' && x.Properties?.SecretId?.Ref === secretId.Ref,
        )?.Properties?.ResourcePolicy,
      );
    const sg = (groupId: unknown) => {
      const g = resolve(groupId);
      return typeof groupId === 'string'
        ? `arn:aws:ec2:${region}:${account}:security-group/${g}`
        : `arn:aws:ec2:${region}:${account}:security-group/sg-${id.toLowerCase().slice(0, 17)}`;
    };
    switch (r.Type) {
      case 'AWS::SecretsManager::Secret':
        add('secretsmanager:CreateSecret', arns[id]);
        break;
      case 'AWS::SecretsManager::RotationSchedule':
        // The secret's resource policy (SecretAccessPolicies) admits the deployer's change of rules and function.
        add(
          'secretsmanager:RotateSecret',
          resolve(p.SecretId),
          {
            'secretsmanager:RotationLambdaARN': resolve(p.RotationLambdaARN),
            'secretsmanager:ModifyRotationRules': String(!!p.RotationRules),
          },
          secretPolicy(p.SecretId),
        );
        add('lambda:InvokeFunction', resolve(p.RotationLambdaARN));
        break;
      case 'AWS::SecretsManager::ResourcePolicy':
        // Replacing the policy: the one in place is the one the template sets.
        add(
          'secretsmanager:PutResourcePolicy',
          resolve(p.SecretId),
          { 'secretsmanager:BlockPublicPolicy': String(p.BlockPublicPolicy === true) },
          resolve(p.ResourcePolicy),
        );
        break;
      case 'AWS::KMS::Key':
        add('kms:CreateKey', '*', requestTag);
        // CreateKey with Tags: KMS authorizes the tags as kms:TagResource, on a key that carries no tag yet.
        if (env) add('kms:TagResource', arns[id], requestTag, keyPolicy(id));
        add('kms:PutKeyPolicy', arns[id], resourceTag, keyPolicy(id));
        add('kms:EnableKeyRotation', arns[id], resourceTag, keyPolicy(id));
        break;
      case 'AWS::KMS::Alias':
        add('kms:CreateAlias', `arn:aws:kms:${region}:${account}:${p.AliasName}`);
        add(
          'kms:CreateAlias',
          resolve(p.TargetKeyId),
          { 'aws:ResourceTag/fleapo:environment': where.stackName!.replace('Fleapo-', '') },
          keyPolicy(p.TargetKeyId['Fn::GetAtt']?.[0] ?? p.TargetKeyId.Ref),
        );
        break;
      case 'AWS::IAM::Role':
        add('iam:CreateRole', arns[id], p.PermissionsBoundary ? { 'iam:PermissionsBoundary': resolve(p.PermissionsBoundary) } : {});
        break;
      case 'AWS::IAM::Policy':
        for (const role of p.Roles) add('iam:PutRolePolicy', resolve(role).replace(/^(?!arn:)/, `arn:aws:iam::${account}:role/`));
        break;
      case 'AWS::Lambda::Function':
        // A function in a VPC: its subnets (lambda:SubnetIds), which must be the environment's own.
        add(
          'lambda:CreateFunction',
          arns[id],
          p.VpcConfig ? { 'lambda:SubnetIds': [p.VpcConfig.SubnetIds].flat().map((x: unknown) => String(resolve(x))) } : undefined,
        );
        // Lambda fetches the code from the assets bucket with the creator's credentials.
        if (p.Code?.S3Bucket)
          add('s3:GetObject', `arn:aws:s3:::${resolve(p.Code.S3Bucket)}/${resolve(p.Code.S3Key)}`, { 'aws:ResourceAccount': account });
        add('iam:PassRole', resolve(p.Role), { 'iam:PassedToService': 'lambda.amazonaws.com' });
        break;
      case 'AWS::Lambda::Permission':
        add('lambda:AddPermission', resolve(p.FunctionName), { 'lambda:Principal': p.Principal });
        break;
      case 'AWS::Logs::LogGroup':
        add('logs:CreateLogGroup', `arn:aws:logs:${region}:${account}:log-group:${p.LogGroupName}`);
        add('logs:PutRetentionPolicy', `arn:aws:logs:${region}:${account}:log-group:${p.LogGroupName}`);
        break;
      case 'AWS::ECS::TaskDefinition':
        add('ecs:RegisterTaskDefinition', arns[id]);
        for (const role of [p.ExecutionRoleArn, p.TaskRoleArn])
          add('iam:PassRole', resolve(role), { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' });
        break;
      case 'AWS::ECS::Service':
        // Its tasks' subnets (ecs:subnet), which must be the environment's own.
        add('ecs:CreateService', arns[id], {
          'ecs:cluster': `arn:aws:ecs:${region}:${account}:cluster/${p.Cluster}`,
          ...(p.NetworkConfiguration
            ? { 'ecs:subnet': p.NetworkConfiguration.AwsvpcConfiguration.Subnets.map((x: unknown) => String(resolve(x))) }
            : {}),
        });
        break;
      case 'AWS::Events::Rule':
        add('events:PutRule', arns[id]);
        add('events:PutTargets', arns[id]);
        break;
      case 'AWS::SNS::Topic':
        add('sns:CreateTopic', arns[id]);
        break;
      case 'AWS::SNS::TopicPolicy':
        for (const topic of p.Topics) add('sns:SetTopicAttributes', resolve(topic));
        break;
      case 'AWS::CloudWatch::InsightRule':
        add('cloudwatch:PutInsightRule', `arn:aws:cloudwatch:${region}:${account}:insight-rule/${p.RuleName}`);
        break;
      case 'AWS::CloudWatch::Alarm':
        add('cloudwatch:PutMetricAlarm', `arn:aws:cloudwatch:${region}:${account}:alarm:${p.AlarmName}`);
        break;
      case 'AWS::EC2::SecurityGroup':
        add('ec2:CreateSecurityGroup', `arn:aws:ec2:${region}:${account}:security-group/sg-0new0000000000000`, requestTag);
        add('ec2:CreateSecurityGroup', `arn:aws:ec2:${region}:${account}:vpc/${p.VpcId}`);
        if (env)
          add('ec2:CreateTags', `arn:aws:ec2:${region}:${account}:security-group/sg-0new0000000000000`, {
            ...requestTag,
            'ec2:CreateAction': 'CreateSecurityGroup',
          });
        for (const _ of p.SecurityGroupEgress ?? []) add('ec2:AuthorizeSecurityGroupEgress', sg({ own: id }), resourceTag);
        break;
      case 'AWS::EC2::SecurityGroupIngress':
      case 'AWS::EC2::SecurityGroupEgress': {
        const action = r.Type.endsWith('Ingress') ? 'ec2:AuthorizeSecurityGroupIngress' : 'ec2:AuthorizeSecurityGroupEgress';
        const own = typeof p.GroupId !== 'string';
        const ownerTag: Record<string, string> = own
          ? { 'aws:ResourceTag/fleapo:environment': where.stackName!.replace('Fleapo-', '') }
          : {};
        add(
          action,
          own
            ? `arn:aws:ec2:${region}:${account}:security-group/sg-${String(p.GroupId['Fn::GetAtt'][0]).toLowerCase().slice(0, 17)}`
            : sg(p.GroupId),
          ownerTag,
        );
        break;
      }
      case 'AWS::EC2::VPCEndpoint':
        add('ec2:CreateVpcEndpoint', `arn:aws:ec2:${region}:${account}:vpc-endpoint/vpce-0new0000000000000`, requestTag);
        add('ec2:CreateVpcEndpoint', `arn:aws:ec2:${region}:${account}:vpc/${p.VpcId}`);
        if (env)
          add('ec2:CreateTags', `arn:aws:ec2:${region}:${account}:vpc-endpoint/vpce-0new0000000000000`, {
            ...requestTag,
            'ec2:CreateAction': 'CreateVpcEndpoint',
          });
        if (p.PrivateDnsEnabled) add('route53:AssociateVPCWithHostedZone', 'arn:aws:route53:::hostedzone/Z0AWSMANAGED00000000');
        break;
      default:
        throw new Error(`no create request for ${r.Type} (${id}): add it to createRequests and make sure the execution policy allows it`);
    }
  }
  return out;
}

describe.each([SHARED, SEPARATE])('in %s', (layout) => {
  let templates: Record<string, Template>;
  let policies: Record<string, any>;
  let oidc: Record<string, Template>;

  beforeAll(() => {
    templates = synth(layout);
    policies = managedPolicies(templates);
    oidc = Object.fromEntries(Object.entries(templates).filter(([n]) => n.startsWith('FleapoGithubOidc-')));
  });

  const ghaDeployOf = (env: string) => ghaDeploy(env);
  const ghaDeploy = (env: string) => {
    const account = layout.accounts[env];
    const t = oidc[`FleapoGithubOidc-${account}`];
    const id = Object.entries(resourcesOfType(t, 'AWS::IAM::Role')).find(([, r]) => r.Properties.RoleName === `gha-deploy-${env}`)![0];
    return {
      principal: `arn:aws:iam::${account}:role/gha-deploy-${env}`,
      identityPolicies: rolePolicies(t, id, { account, region: REGION }),
      resourceAccount: account,
    };
  };

  describe.each(['staging', 'prod'])('a deploy of %s', (env) => {
    const other = env === 'prod' ? 'staging' : 'prod';
    const account = () => layout.accounts[env];
    const otherAccount = () => layout.accounts[other];

    /**
     * The requests of issue 16's findings, each from the principals that could make it before the fixes: the execution
     * role (a staging deploy's template), and anything created under the boundary with an identity policy that allows
     * everything (a function or task role of the stack, the bootstrap roles): only the boundary bounds it.
     */
    const principals = () => {
      const a = account();
      const boundary = policies[`arn:aws:iam::${a}:policy/fleapo-${env}-boundary`];
      return {
        execution: asRole(environmentBootstrap(env, a, layout)['cfn-exec'], policies, a),
        bounded: {
          principal: `arn:aws:iam::${a}:role/fleapo-${env}-anything`,
          identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
          permissionBoundaries: [boundary],
          resourceAccount: a,
        },
      };
    };
    /** A request's principal: its identity policies, and its boundary if it has one. */
    interface Who {
      readonly principal: string;
      readonly identityPolicies: any[];
      readonly permissionBoundaries?: any[];
      readonly resourceAccount: string;
    }
    // A key with the default key policy: the account root, so IAM (the caller's policies) decides.
    const defaultKeyPolicy = (keyArn: string) => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${keyArn.split(':')[4]}:root` }, Action: 'kms:*', Resource: '*' }],
    });
    const decide = (who: Who, action: string, resource: string, context?: Record<string, string | string[]>) =>
      evaluate({
        ...who,
        action,
        resource,
        resourceAccount: resource.split(':')[4] || who.resourceAccount,
        context,
        resourcePolicy: resource.includes(':key/') ? defaultKeyPolicy(resource) : undefined,
      }).then((d) => `${action} ${resource} ${JSON.stringify(context ?? {})}: ${d}`);
    const expectDecision = async (
      who: Who,
      expected: 'Allowed' | 'denied',
      action: string,
      resource: string,
      context?: Record<string, string | string[]>,
    ) => {
      const line = await decide(who, action, resource, context);
      if (expected === 'Allowed') expect(line).toMatch(/: Allowed$/);
      else expect(line).not.toMatch(/: Allowed$/);
    };

    test('finding 1, re-tag then own: no tag is written or removed on a group, endpoint or key not already tagged for the environment; tags on create still are', async () => {
      const a = account();
      const o = otherAccount();
      const { execution, bounded } = principals();
      const tag = (value: string) => ({ 'aws:RequestTag/fleapo:environment': value, 'aws:TagKeys': ['fleapo:environment'] });
      const theirSg = `arn:aws:ec2:${REGION}:${o}:security-group/sg-0${other === 'prod' ? 'f1e2d3c4b5a6' : 'a1b2c3d4e5f6'}0020`;
      const theirEndpoint = `arn:aws:ec2:${REGION}:${o}:vpc-endpoint/vpce-0theirs000000000`;
      const defaultSg = `arn:aws:ec2:${REGION}:${a}:security-group/sg-0default00000000`;
      const theirKey = `arn:aws:kms:${REGION}:${o}:key/0a1b2c3d-theirs`;
      const untaggedKey = `arn:aws:kms:${REGION}:${a}:key/0a1b2c3d-rds-storage`;
      const ownKey = `arn:aws:kms:${REGION}:${a}:key/0a1b2c3d-own`;
      const theirs = { 'aws:ResourceTag/fleapo:environment': other };
      const own = { 'aws:ResourceTag/fleapo:environment': env };
      for (const who of [execution, bounded]) {
        // Before: ec2:CreateTags and kms:TagResource on * with only the request tag; now refused on what is not ours.
        await expectDecision(who, 'denied', 'ec2:CreateTags', theirSg, { ...tag(env), ...theirs });
        await expectDecision(who, 'denied', 'ec2:CreateTags', theirEndpoint, { ...tag(env), ...theirs });
        await expectDecision(who, 'denied', 'ec2:DeleteTags', theirEndpoint, { 'aws:TagKeys': ['fleapo:environment'], ...theirs });
        await expectDecision(who, 'denied', 'ec2:CreateTags', defaultSg, tag(env));
        await expectDecision(who, 'denied', 'kms:TagResource', theirKey, { ...tag(env), ...theirs });
        await expectDecision(who, 'denied', 'kms:UntagResource', theirKey, { 'aws:TagKeys': ['fleapo:environment'], ...theirs });
        // The legitimate paths: tags of the stack's own create calls, and tags on what is already ours.
        await expectDecision(who, 'Allowed', 'ec2:CreateTags', `arn:aws:ec2:${REGION}:${a}:security-group/sg-0new0000000000000`, {
          ...tag(env),
          'ec2:CreateAction': 'CreateSecurityGroup',
        });
        await expectDecision(who, 'Allowed', 'kms:TagResource', ownKey, { ...tag(env), ...own });
        await expectDecision(who, 'Allowed', 'ec2:CreateTags', `arn:aws:ec2:${REGION}:${a}:security-group/sg-0own00000000000`, {
          ...tag(env),
          ...own,
        });
      }
      // An untagged key (the RDS storage key, a key with the default key policy) is tagged by no role under the
      // boundary; the execution role tags only the keys its stack creates (CreateKey with Tags: the new key has no tag yet;
      // resource import, the one way to bring an existing key into the stack, is denied by the bootstrap template).
      await expectDecision(bounded, 'denied', 'kms:TagResource', untaggedKey, tag(env));
      await expectDecision(bounded, 'denied', 'kms:UntagResource', untaggedKey, { 'aws:TagKeys': ['fleapo:environment'] });
      await expectDecision(execution, 'Allowed', 'kms:TagResource', `arn:aws:kms:${REGION}:${a}:key/0a1b2c3d-new`, tag(env));
      await expectDecision(execution, 'denied', 'kms:TagResource', `arn:aws:kms:${REGION}:${a}:key/0a1b2c3d-new`, tag(other));
      // Tags on create only with this environment's tag, and only for the create calls the stack makes.
      await expectDecision(execution, 'denied', 'ec2:CreateTags', `arn:aws:ec2:${REGION}:${a}:security-group/sg-0new0000000000000`, {
        ...tag(other),
        'ec2:CreateAction': 'CreateSecurityGroup',
      });
      await expectDecision(execution, 'denied', 'ec2:CreateTags', `arn:aws:ec2:${REGION}:${a}:security-group/sg-0new0000000000000`, {
        ...tag(env),
        'ec2:CreateAction': 'ModifySecurityGroupRules',
      });
    });

    test("found by the isolation search: no role but the execution role creates a role or a key grant; no function or service is placed in the other environment's subnets", async () => {
      const a = account();
      const { execution, bounded } = principals();
      const ownKey = `arn:aws:kms:${REGION}:${a}:key/0a1b2c3d-own`;
      const own = { 'aws:ResourceTag/fleapo:environment': env };
      const boundary = { 'iam:PermissionsBoundary': `arn:aws:iam::${a}:policy/fleapo-${env}-boundary` };
      // A role under the boundary with any identity policy (a function or task role, a role a template created) could create
      // a role (with the boundary) or a grant on a key of its own environment, either naming an outside account: IAM
      // cannot read the principals a trust policy or a grant names.
      await expectDecision(bounded, 'denied', 'iam:CreateRole', `arn:aws:iam::${a}:role/fleapo-${env}-outside`, boundary);
      await expectDecision(bounded, 'denied', 'kms:CreateGrant', ownKey, own);
      await expectDecision(execution, 'Allowed', 'iam:CreateRole', `arn:aws:iam::${a}:role/fleapo-${env}-new`, boundary);
      // A function of this environment in the other environment's subnets (their security groups come with them).
      const subnetsOf = (e: string) => configOf(layout).environments.find((x) => x.name === e)!.network.privateSubnetIds;
      const fn = `arn:aws:lambda:${REGION}:${a}:function:fleapo-${env}-placed`;
      const service = `arn:aws:ecs:${REGION}:${a}:service/fleapo-${env}/fleapo-web`;
      const inCluster = { 'ecs:cluster': `arn:aws:ecs:${REGION}:${a}:cluster/fleapo-${env}` };
      // The execution role and any role under the boundary (the boundary bounds the execution role too).
      for (const who of [execution, bounded]) {
        for (const action of ['lambda:CreateFunction', 'lambda:UpdateFunctionConfiguration']) {
          await expectDecision(who, 'denied', action, fn, { 'lambda:SubnetIds': [subnetsOf(other)[0]] });
          await expectDecision(who, 'denied', action, fn, { 'lambda:SubnetIds': [subnetsOf(env)[0], subnetsOf(other)[0]] });
          await expectDecision(who, 'Allowed', action, fn, { 'lambda:SubnetIds': subnetsOf(env) });
          // A function outside any VPC, or a change that leaves the placement alone, names no subnet.
          await expectDecision(who, 'Allowed', action, fn);
        }
        for (const action of ['ecs:CreateService', 'ecs:UpdateService']) {
          await expectDecision(who, 'denied', action, service, { ...inCluster, 'ecs:subnet': [subnetsOf(other)[0]] });
          await expectDecision(who, 'denied', action, service, { ...inCluster, 'ecs:subnet': [subnetsOf(env)[0], subnetsOf(other)[0]] });
          await expectDecision(who, 'Allowed', action, service, { ...inCluster, 'ecs:subnet': subnetsOf(env) });
          await expectDecision(who, 'Allowed', action, service, inCluster);
        }
      }
    });

    test("finding 3, the other environment's alarms: they count only records in its own log groups, which no role of this environment can write, create or re-point", async () => {
      const a = account();
      const o = otherAccount();
      const { execution, bounded } = principals();
      // No alarm reads a metric of its own namespace: CloudWatch Logs extracts an embedded-metric-format record into any
      // namespace and dimension, from any log group, without cloudwatch:PutMetricData. Each reads AWS/Lambda (Errors of
      // its own function) or a Contributor Insights rule over the environment's own log groups.
      for (const e of [env, other]) {
        const t = templates[`Fleapo-${e}`];
        const insight = Object.fromEntries(
          Object.values(resourcesOfType(t, 'AWS::CloudWatch::InsightRule')).map((r) => [
            r.Properties.RuleName,
            JSON.parse(r.Properties.RuleBody),
          ]),
        );
        for (const alarm of Object.values(resourcesOfType(t, 'AWS::CloudWatch::Alarm')).map((r) => r.Properties)) {
          if (alarm.Namespace !== undefined) {
            expect(`${alarm.AlarmName}: ${alarm.Namespace}`).toBe(`${alarm.AlarmName}: AWS/Lambda`);
            expect(alarm.Dimensions).toEqual([{ Name: 'FunctionName', Value: expect.anything() }]);
            continue;
          }
          const rule = /^INSIGHT_RULE_METRIC\('([^']+)', 'SampleCount'\)$/.exec(alarm.Metrics?.[0]?.Expression ?? '')?.[1];
          expect(`${alarm.AlarmName}: ${rule}`).toMatch(new RegExp(`^${alarm.AlarmName}: fleapo-${e}-`));
          expect(insight[rule!].LogGroupNames.length).toBeGreaterThan(0);
          for (const group of insight[rule!].LogGroupNames) expect(group).toMatch(new RegExp(`^/aws/lambda/fleapo-${e}-`));
          // Who may put a record into those log groups: the environment's own function (legitimate)...
          if (e === env && layout === SHARED) {
            const fn = Object.entries(resourcesOfType(t, 'AWS::IAM::Role')).find(
              ([, r]) => r.Properties.RoleName === `fleapo-${env}-database-role-retirement`,
            )![0];
            const own = {
              principal: `arn:aws:iam::${a}:role/fleapo-${env}-database-role-retirement`,
              identityPolicies: rolePolicies(t, fn, { account: a, region: REGION }),
              permissionBoundaries: [policies[`arn:aws:iam::${a}:policy/fleapo-${env}-boundary`]],
              resourceAccount: a,
            };
            const stream = `arn:aws:logs:${REGION}:${a}:log-group:/aws/lambda/fleapo-${env}-database-role-retirement:log-stream:2026/01/01/x`;
            await expectDecision(own, 'Allowed', 'logs:PutLogEvents', stream);
          }
        }
      }
      // ...and never this environment's roles into the other's (nor a new log group, function or rule under its names).
      const theirGroup = `arn:aws:logs:${REGION}:${o}:log-group:/aws/lambda/fleapo-${other}-database-role-retirement`;
      for (const who of [execution, bounded]) {
        await expectDecision(who, 'denied', 'logs:PutLogEvents', `${theirGroup}:log-stream:2026/01/01/x`);
        await expectDecision(who, 'denied', 'logs:CreateLogStream', `${theirGroup}:log-stream:2026/01/01/x`);
        await expectDecision(
          who,
          'denied',
          'logs:CreateLogGroup',
          `arn:aws:logs:${REGION}:${o}:log-group:/aws/lambda/fleapo-${other}-forged`,
        );
        await expectDecision(who, 'denied', 'lambda:CreateFunction', `arn:aws:lambda:${REGION}:${o}:function:fleapo-${other}-forged`);
        for (const action of ['cloudwatch:PutInsightRule', 'cloudwatch:DeleteInsightRules', 'cloudwatch:DisableInsightRules']) {
          await expectDecision(
            who,
            'denied',
            action,
            `arn:aws:cloudwatch:${REGION}:${o}:insight-rule/fleapo-${other}-rotation-rollout-not-recorded`,
          );
        }
        for (const action of ['cloudwatch:SetAlarmState', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms']) {
          await expectDecision(
            who,
            'denied',
            action,
            `arn:aws:cloudwatch:${REGION}:${o}:alarm:fleapo-${other}-rotation-rollout-not-recorded`,
          );
        }
      }
      await expectDecision(
        execution,
        'Allowed',
        'cloudwatch:PutInsightRule',
        `arn:aws:cloudwatch:${REGION}:${a}:insight-rule/fleapo-${env}-x`,
      );
    });

    test("finding 2, run in the other environment's cluster: services only in the environment's own cluster, standalone tasks nowhere (RunTask names no subnet or security group)", async () => {
      const a = account();
      const { execution, bounded } = principals();
      const cluster = (e: string, acct: string) => `arn:aws:ecs:${REGION}:${acct}:cluster/fleapo-${e}`;
      const taskDefinition = `arn:aws:ecs:${REGION}:${a}:task-definition/fleapo-${env}-web:7`;
      for (const who of [execution, bounded]) {
        for (const action of ['ecs:RunTask', 'ecs:StartTask']) {
          await expectDecision(who, 'denied', action, taskDefinition, { 'ecs:cluster': cluster(other, otherAccount()) });
          await expectDecision(who, 'denied', action, taskDefinition, { 'ecs:cluster': cluster('default', a) });
          await expectDecision(who, 'denied', action, taskDefinition, { 'ecs:cluster': cluster(env, a) });
        }
        await expectDecision(who, 'denied', 'ecs:UpdateService', `arn:aws:ecs:${REGION}:${a}:service/fleapo-${env}/fleapo-web`, {
          'ecs:cluster': cluster(other, otherAccount()),
        });
        await expectDecision(who, 'Allowed', 'ecs:UpdateService', `arn:aws:ecs:${REGION}:${a}:service/fleapo-${env}/fleapo-web`, {
          'ecs:cluster': cluster(env, a),
        });
      }
    });

    test('finding 4, outside principals: only the stack changes trust, key and topic policies; function permissions only for its services; secret policies only with the public-policy block', async () => {
      const a = account();
      const { execution, bounded } = principals();
      const ownRole = `arn:aws:iam::${a}:role/fleapo-${env}-database-url-rotation`;
      const ownKey = `arn:aws:kms:${REGION}:${a}:key/0a1b2c3d-own`;
      const ownTopic = `arn:aws:sns:${REGION}:${a}:fleapo-${env}-secrets-alerts`;
      const ownFunction = `arn:aws:lambda:${REGION}:${a}:function:fleapo-${env}-database-url-rotation`;
      const ownSecret = `arn:aws:secretsmanager:${REGION}:${a}:secret:fleapo/${env}/auth-secret-AbCdEf`;
      const own = { 'aws:ResourceTag/fleapo:environment': env };
      // Anything under the boundary other than the execution role: no trust, key or topic policy change at all.
      await expectDecision(bounded, 'denied', 'iam:UpdateAssumeRolePolicy', ownRole);
      await expectDecision(bounded, 'denied', 'kms:PutKeyPolicy', ownKey, own);
      await expectDecision(bounded, 'denied', 'sns:SetTopicAttributes', ownTopic);
      await expectDecision(bounded, 'denied', 'sns:AddPermission', ownTopic);
      // The stack may (its own roles, keys and topic)...
      await expectDecision(execution, 'Allowed', 'iam:UpdateAssumeRolePolicy', ownRole);
      await expectDecision(execution, 'Allowed', 'kms:PutKeyPolicy', ownKey, own);
      await expectDecision(execution, 'Allowed', 'sns:SetTopicAttributes', ownTopic);
      for (const who of [execution, bounded]) {
        // ...but a function is invoked only by the services the stack uses, never another account or a public URL,
        await expectDecision(who, 'denied', 'lambda:AddPermission', ownFunction, { 'lambda:Principal': '999999999999' });
        await expectDecision(who, 'denied', 'lambda:AddPermission', ownFunction, { 'lambda:Principal': '*' });
        await expectDecision(who, 'denied', 'lambda:CreateFunctionUrlConfig', ownFunction, { 'lambda:FunctionUrlAuthType': 'NONE' });
        // a secret's resource policy is refused unless Secrets Manager blocks broad (public) access,
        await expectDecision(who, 'denied', 'secretsmanager:PutResourcePolicy', ownSecret);
        await expectDecision(who, 'denied', 'secretsmanager:PutResourcePolicy', ownSecret, { 'secretsmanager:BlockPublicPolicy': 'false' });
        // and the bootstrap's bucket and repository keep their policies.
        await expectDecision(who, 'denied', 's3:PutBucketPolicy', `arn:aws:s3:::cdk-${QUALIFIERS[env]}-assets-${a}-${REGION}`);
        await expectDecision(
          who,
          'denied',
          'ecr:SetRepositoryPolicy',
          `arn:aws:ecr:${REGION}:${a}:repository/cdk-${QUALIFIERS[env]}-container-assets-${a}-${REGION}`,
        );
      }
      await expectDecision(execution, 'Allowed', 'lambda:AddPermission', ownFunction, { 'lambda:Principal': 'events.amazonaws.com' });
      await expectDecision(execution, 'Allowed', 'secretsmanager:PutResourcePolicy', ownSecret, {
        'secretsmanager:BlockPublicPolicy': 'true',
      });
    });

    test("gha-deploy may assume only its own environment's bootstrap roles (never the execution role, the other environment's or the administrator's)", async () => {
      const own = environmentBootstrap(env, account(), layout);
      const theirs = environmentBootstrap(other, otherAccount(), layout);
      const admin = bootstrapRoles({ account: account(), region: REGION, qualifier: 'hnb659fds', executionPolicies: [] });
      const assume = (role: BootstrapRole, roleAccount: string) =>
        evaluate({
          ...ghaDeploy(env),
          action: 'sts:AssumeRole',
          resource: role.arn,
          resourcePolicy: role.trust,
          resourceAccount: roleAccount,
        }).then((d) => `${role.arn}: ${d}`);
      for (const kind of ['deploy', 'file-publishing', 'image-publishing', 'lookup']) {
        await expect(assume(own[kind], account())).resolves.toBe(`${own[kind].arn}: Allowed`);
        await expect(assume(theirs[kind], otherAccount())).resolves.not.toBe(`${theirs[kind].arn}: Allowed`);
        await expect(assume(admin[kind], account())).resolves.not.toBe(`${admin[kind].arn}: Allowed`);
      }
      await expect(assume(own['cfn-exec'], account())).resolves.not.toBe(`${own['cfn-exec'].arn}: Allowed`);
    });

    test("finding 6, the bootstrap roles: with the project's template only gha-deploy-<env> (and a configured break-glass role) may assume them, not any principal of the account; no resource import", async () => {
      const a = account();
      const principal = (name: string, statements: any[]) => ({
        principal: `arn:aws:iam::${a}:role/${name}`,
        identityPolicies: [{ Version: '2012-10-17', Statement: statements }],
        resourceAccount: a,
      });
      // PowerUserAccess (everything but IAM, Organizations and Account) and an administrator of the account.
      const powerUser = principal('power-user', [{ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' }]);
      const admin = principal('admin', [{ Effect: 'Allow', Action: '*', Resource: '*' }]);
      const breakGlass = principal('break-glass', [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }]);
      const otherDeploy = layout === SHARED ? [ghaDeployOf(other)] : [];
      const assume = (who: Who, role: BootstrapRole) =>
        evaluate({ ...who, action: 'sts:AssumeRole', resource: role.arn, resourcePolicy: role.trust, resourceAccount: a }).then(
          (d) => `${who.principal} -> ${role.arn}: ${d}`,
        );
      const cli = bootstrapRoles({ account: a, region: REGION, qualifier: QUALIFIERS[env], executionPolicies: [] });
      const ours = environmentBootstrap(env, a, layout);
      const withBreakGlass = environmentBootstrap(
        env,
        a,
        layout,
        validateConfig(mergeConfig(rawConfigOf(layout), { environments: { [env]: { breakGlassRoleArn: breakGlass.principal } } })),
      );
      for (const kind of ['deploy', 'file-publishing', 'image-publishing', 'lookup']) {
        // Before: the CLI's template trusts the account root, so the account's own policies decide.
        await expect(assume(powerUser, cli[kind])).resolves.toMatch(/: Allowed$/);
        for (const who of [powerUser, admin, breakGlass, ...otherDeploy])
          await expect(assume(who, ours[kind])).resolves.not.toMatch(/: Allowed$/);
        await expect(assume(ghaDeploy(env), ours[kind])).resolves.toMatch(/: Allowed$/);
        await expect(assume(breakGlass, withBreakGlass[kind])).resolves.toMatch(/: Allowed$/);
        await expect(assume(ghaDeploy(env), withBreakGlass[kind])).resolves.toMatch(/: Allowed$/);
        for (const who of [powerUser, admin]) await expect(assume(who, withBreakGlass[kind])).resolves.not.toMatch(/: Allowed$/);
      }
      // Resource import would bring an existing resource (an untagged key) under the stack, and so under the execution role.
      const deploy = asRole(ours.deploy, policies, a);
      const stack = `arn:aws:cloudformation:${REGION}:${a}:stack/Fleapo-${env}/0a1b2c3d-0000-0000-0000-000000000000`;
      await expect(
        decide(deploy, 'cloudformation:CreateChangeSet', stack, { 'cloudformation:ImportResourceTypes': ['AWS::KMS::Key'] }),
      ).resolves.not.toMatch(/: Allowed$/);
      await expect(decide(deploy, 'cloudformation:CreateChangeSet', stack)).resolves.toMatch(/: Allowed$/);
    });

    test("its bootstrap roles deploy its own stack and assets only: the deploy role's cloudformation:* on every stack is cut to its stack by the boundary", async () => {
      const own = environmentBootstrap(env, account(), layout);
      const theirs = environmentBootstrap(other, otherAccount(), layout);
      const stack = (e: string, a: string) =>
        `arn:aws:cloudformation:${REGION}:${a}:stack/Fleapo-${e}/0a1b2c3d-0000-0000-0000-000000000000`;
      const deploy = asRole(own.deploy, policies, account());
      const check = async (
        who: ReturnType<typeof asRole>,
        action: string,
        resource: string,
        expected: 'Allowed' | 'not',
        context?: Record<string, string>,
      ) => {
        const resourceAccount = resource.split(':')[4] || (resource.includes(`-${otherAccount()}-`) ? otherAccount() : account());
        // iam-simulate leaves aws:ResourceAccount to the caller (the publishing role's policy conditions on it).
        const s3: Record<string, string> = action.startsWith('s3:') ? { 'aws:ResourceAccount': resourceAccount } : {};
        const d: Decision = await evaluate({ ...who, action, resource, resourceAccount, context: { ...s3, ...context } });
        const line = `${action} ${resource}`;
        if (expected === 'Allowed') expect(`${line}: ${d}`).toBe(`${line}: Allowed`);
        else expect(`${line}: ${d}`).not.toBe(`${line}: Allowed`);
      };
      for (const action of [
        'cloudformation:CreateChangeSet',
        'cloudformation:ExecuteChangeSet',
        'cloudformation:UpdateStack',
        'cloudformation:DeleteStack',
      ]) {
        await check(deploy, action, stack(env, account()), 'Allowed');
        await check(deploy, action, stack(other, otherAccount()), 'not');
        await check(deploy, action, stack('anything-else', account()), 'not');
      }
      await check(deploy, 'iam:PassRole', own['cfn-exec'].arn, 'Allowed', { 'iam:PassedToService': 'cloudformation.amazonaws.com' });
      await check(deploy, 'iam:PassRole', theirs['cfn-exec'].arn, 'not', { 'iam:PassedToService': 'cloudformation.amazonaws.com' });
      await check(
        deploy,
        'ssm:GetParameter',
        `arn:aws:ssm:${REGION}:${account()}:parameter/cdk-bootstrap/${QUALIFIERS[env]}/version`,
        'Allowed',
      );
      const files = asRole(own['file-publishing'], policies, account());
      await check(files, 's3:PutObject', `arn:aws:s3:::cdk-${QUALIFIERS[env]}-assets-${account()}-${REGION}/x.zip`, 'Allowed');
      await check(files, 's3:PutObject', `arn:aws:s3:::cdk-${QUALIFIERS[other]}-assets-${otherAccount()}-${REGION}/x.zip`, 'not');
      const lookup = asRole(own.lookup, policies, account());
      await check(
        lookup,
        'lambda:GetFunction',
        `arn:aws:lambda:${REGION}:${otherAccount()}:function:fleapo-${other}-auth-secret-rotation`,
        'not',
      );
    });

    test("its execution role may create every resource of its synthesized template, and none of the other environment's", async () => {
      const role = asRole(environmentBootstrap(env, account(), layout)['cfn-exec'], policies, account());
      const mine = createRequests(templates[`Fleapo-${env}`], { account: account(), region: REGION, stackName: `Fleapo-${env}` });
      expect(mine.length).toBeGreaterThan(50);
      for (const r of mine) {
        const d = await evaluate({ ...role, action: r.action, resource: r.resource, context: r.context, resourcePolicy: r.resourcePolicy });
        expect(`${r.what}: ${r.action} ${r.resource}: ${d}`).toBe(`${r.what}: ${r.action} ${r.resource}: Allowed`);
      }
      const theirs = createRequests(templates[`Fleapo-${other}`], { account: otherAccount(), region: REGION, stackName: `Fleapo-${other}` })
        // Actions with no resource (kms:CreateKey on *) are refused by the other environment's tag.
        .filter((r) => r.resource !== '*' || r.context?.['aws:RequestTag/fleapo:environment']);
      for (const r of theirs) {
        const d = await evaluate({
          ...role,
          action: r.action,
          resource: r.resource,
          resourceAccount: otherAccount(),
          context: r.context,
          resourcePolicy: r.resourcePolicy,
        });
        expect(`${r.what}: ${r.action} ${r.resource}: ${d}`).not.toBe(`${r.what}: ${r.action} ${r.resource}: Allowed`);
      }
    });

    test("its execution role can neither read nor change the other environment's secrets, key, functions or service, nor escalate", async () => {
      const role = asRole(environmentBootstrap(env, account(), layout)['cfn-exec'], policies, account());
      const a = account();
      const o = otherAccount();
      const boundary = `arn:aws:iam::${a}:policy/fleapo-${env}-boundary`;
      const denied: [string, string, Record<string, string>?][] = [
        ['secretsmanager:GetSecretValue', `arn:aws:secretsmanager:${REGION}:${o}:secret:fleapo/${other}/database-url-AbCdEf`],
        ['secretsmanager:PutSecretValue', `arn:aws:secretsmanager:${REGION}:${o}:secret:fleapo/${other}/auth-secret-AbCdEf`],
        ['secretsmanager:RotateSecret', `arn:aws:secretsmanager:${REGION}:${o}:secret:fleapo/${other}/auth-secret-AbCdEf`],
        ['secretsmanager:DeleteSecret', `arn:aws:secretsmanager:${REGION}:${o}:secret:fleapo/${other}/stripe-secret-key-AbCdEf`],
        ['kms:Decrypt', `arn:aws:kms:${REGION}:${o}:key/0a1b2c3d-other`, { 'aws:ResourceTag/fleapo:environment': other }],
        ['kms:PutKeyPolicy', `arn:aws:kms:${REGION}:${o}:key/0a1b2c3d-other`, { 'aws:ResourceTag/fleapo:environment': other }],
        [
          'kms:TagResource',
          `arn:aws:kms:${REGION}:${o}:key/0a1b2c3d-other`,
          { 'aws:ResourceTag/fleapo:environment': other, 'aws:RequestTag/fleapo:environment': env, 'aws:TagKeys': 'fleapo:environment' },
        ],
        ['lambda:UpdateFunctionCode', `arn:aws:lambda:${REGION}:${o}:function:fleapo-${other}-database-url-rotation`],
        [
          'ecs:UpdateService',
          `arn:aws:ecs:${REGION}:${o}:service/fleapo-${other}/fleapo-web`,
          { 'ecs:cluster': `arn:aws:ecs:${REGION}:${o}:cluster/fleapo-${other}` },
        ],
        ['iam:PutRolePolicy', `arn:aws:iam::${o}:role/fleapo-${other}-database-url-rotation`],
        ['iam:UpdateAssumeRolePolicy', `arn:aws:iam::${o}:role/gha-deploy-${other}`],
        ['iam:PutRolePolicy', `arn:aws:iam::${a}:role/gha-deploy-${env}`],
        ['iam:CreatePolicyVersion', boundary],
        ['iam:CreatePolicyVersion', `arn:aws:iam::${a}:policy/fleapo-${env}-cfn-execution`],
        ['iam:AttachRolePolicy', `arn:aws:iam::${a}:role/cdk-${QUALIFIERS[env]}-cfn-exec-role-${a}-${REGION}`],
        ['iam:CreateRole', `arn:aws:iam::${a}:role/fleapo-${env}-escape`],
        [
          'iam:CreateRole',
          `arn:aws:iam::${a}:role/fleapo-${env}-escape`,
          { 'iam:PermissionsBoundary': `arn:aws:iam::${a}:policy/fleapo-${other}-boundary` },
        ],
        ['iam:DeleteRolePermissionsBoundary', `arn:aws:iam::${a}:role/fleapo-${env}-auth-secret-rotation`],
        ['iam:CreateUser', `arn:aws:iam::${a}:user/escape`],
        ['sts:AssumeRole', `arn:aws:iam::${o}:role/cdk-${QUALIFIERS[other]}-deploy-role-${o}-${REGION}`],
        ['sts:AssumeRole', `arn:aws:iam::${a}:role/cdk-hnb659fds-cfn-exec-role-${a}-${REGION}`],
      ];
      for (const [action, resource, context] of denied) {
        const d = await evaluate({ ...role, action, resource, resourceAccount: resource.split(':')[4] || a, context });
        expect(`${action} ${resource}: ${d}`).not.toBe(`${action} ${resource}: Allowed`);
      }
      await expect(
        evaluate({
          ...role,
          action: 'iam:CreateRole',
          resource: `arn:aws:iam::${a}:role/fleapo-${env}-new`,
          context: { 'iam:PermissionsBoundary': boundary },
        }),
      ).resolves.toBe('Allowed');
    });
  });
});
