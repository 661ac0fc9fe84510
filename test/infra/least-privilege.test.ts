import { evaluate } from './iam-evaluator';
import { logicalIdOf, physicalArns, resolveIntrinsics, rolePolicies, type StackLocation } from './resolve-arns';
import { resourcesOfType, synthesizeApp, type Template } from './synthesized-app';

const ACCOUNT = '111111111111';
const OTHER_ACCOUNT = '999999999999';
const at = (env: string): StackLocation => ({ account: ACCOUNT, region: 'us-east-1', stackName: `Fleapo-${env}` });
let templates: Record<string, Template>;

beforeAll(() => {
  templates = synthesizeApp();
});

const ROTATION_FUNCTIONS: Record<string, string> = {
  'auth-secret-rotation': 'auth-secret',
  'database-url-rotation': 'database-url',
  'stripe-secret-key-rotation': 'stripe-secret-key',
  'stripe-webhook-secret-rotation': 'stripe-webhook-secret',
  'posthog-api-key-rotation': 'posthog-api-key',
};

/** The environment's permissions boundary (every role of the stack carries it), from the account stack. */
function boundary(env: string): any {
  const oidc = templates[`FleapoGithubOidc-${ACCOUNT}`];
  const where = { account: ACCOUNT, region: 'us-east-1' };
  const policy = Object.values(resourcesOfType(oidc, 'AWS::IAM::ManagedPolicy')).find(
    (r) => r.Properties.ManagedPolicyName === `fleapo-${env}-boundary`,
  )!;
  return resolveIntrinsics(policy.Properties.PolicyDocument, physicalArns(oidc, where), where);
}

function stack(env: string) {
  const template = templates[`Fleapo-${env}`];
  const arns = physicalArns(template, at(env));
  const resolve = (v: unknown) => resolveIntrinsics(v, arns, at(env));
  const fnId = (name: string) =>
    Object.entries(resourcesOfType(template, 'AWS::Lambda::Function')).find(
      ([, r]) => r.Properties.FunctionName === `fleapo-${env}-${name}`,
    )![0];
  const roleId = (name: string) => template.Resources[fnId(name)].Properties.Role['Fn::GetAtt'][0] as string;
  const secretArn = (suffix: string) =>
    arns[
      Object.entries(resourcesOfType(template, 'AWS::SecretsManager::Secret')).find(
        ([, r]) => r.Properties.Name === `fleapo/${env}/${suffix}`,
      )![0]
    ];
  const taskDefinitionArn = arns[logicalIdOf(template, 'AWS::ECS::TaskDefinition', 'AppTaskDefinition')];
  return {
    template,
    arns,
    resolve,
    fnArn: (name: string) => arns[fnId(name)],
    role: (name: string) => template.Resources[roleId(name)].Properties,
    /** The function's role as AWS evaluates it: its policies, within the environment's boundary (which it must carry). */
    who: (name: string) => {
      expect(resolveIntrinsics(template.Resources[roleId(name)].Properties.PermissionsBoundary, arns, at(env))).toBe(
        `arn:aws:iam::${ACCOUNT}:policy/fleapo-${env}-boundary`,
      );
      return {
        principal: arns[roleId(name)],
        identityPolicies: rolePolicies(template, roleId(name), at(env)),
        permissionBoundaries: [boundary(env)],
        resourceAccount: ACCOUNT,
      };
    },
    secretArn,
    keyArn: arns[logicalIdOf(template, 'AWS::KMS::Key', 'SecretsKey')],
    keyPolicy: resolveIntrinsics(
      template.Resources[logicalIdOf(template, 'AWS::KMS::Key', 'SecretsKey')].Properties.KeyPolicy,
      arns,
      at(env),
    ),
    serviceArn: arns[logicalIdOf(template, 'AWS::ECS::Service', 'AppService')],
    taskDefinitionArn,
    cluster: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/fleapo-${env}`,
    logGroupArn: (name: string) =>
      `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/fleapo-${env}-${name}:log-stream:2026/01/01/abc`,
  };
}

/** A Lambda permission as the resource-policy statement Lambda makes of it. */
function lambdaPolicyStatement(p: any) {
  const condition: Record<string, Record<string, string>> = {};
  if (p.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': p.SourceAccount };
  if (p.SourceArn) condition.ArnLike = { 'aws:SourceArn': p.SourceArn };
  return {
    Effect: 'Allow',
    Principal: { Service: p.Principal },
    Action: p.Action,
    Resource: p.FunctionName,
    ...(Object.keys(condition).length ? { Condition: condition } : {}),
  };
}

describe.each(['staging', 'prod'])('%s', (env) => {
  const other = env === 'prod' ? 'staging' : 'prod';

  describe('resource policies admit AWS services only from this account and the resources that use them', () => {
    test('Secrets Manager may invoke a rotation function only for its own secret, from this account', async () => {
      const s = stack(env);
      const permissions = Object.values(resourcesOfType(s.template, 'AWS::Lambda::Permission')).map((r) => s.resolve(r.Properties));
      for (const [fn, secret] of Object.entries(ROTATION_FUNCTIONS)) {
        const mine = permissions.filter((p) => p.FunctionName === s.fnArn(fn));
        expect(mine).toEqual([
          expect.objectContaining({ Principal: 'secretsmanager.amazonaws.com', SourceAccount: ACCOUNT, SourceArn: s.secretArn(secret) }),
        ]);
        const policy = { Version: '2012-10-17', Statement: mine.map(lambdaPolicyStatement) };
        const invoke = (sourceArn: string, sourceAccount = ACCOUNT) =>
          evaluate({
            principal: 'secretsmanager.amazonaws.com',
            action: 'lambda:InvokeFunction',
            resource: s.fnArn(fn),
            resourceAccount: ACCOUNT,
            resourcePolicy: policy,
            context: { 'aws:SourceAccount': sourceAccount, 'aws:SourceArn': sourceArn },
          });
        await expect(invoke(s.secretArn(secret))).resolves.toBe('Allowed');
        const otherSecret = secret === 'auth-secret' ? 'database-url' : 'auth-secret';
        await expect(invoke(s.secretArn(otherSecret)).then((d) => `${fn} for ${otherSecret}: ${d}`)).resolves.toBe(
          `${fn} for ${otherSecret}: ImplicitlyDenied`,
        );
        await expect(invoke(stack(other).secretArn(secret)).then((d) => `${fn} for ${other}: ${d}`)).resolves.toBe(
          `${fn} for ${other}: ImplicitlyDenied`,
        );
        const foreign = `arn:aws:secretsmanager:us-east-1:${OTHER_ACCOUNT}:secret:fleapo/${env}/${secret}-AbCdEf`;
        await expect(invoke(foreign, OTHER_ACCOUNT)).resolves.toBe('ImplicitlyDenied');
      }
    });

    test('EventBridge may publish to the alert topic, and use its key, only for the alert rules of this account', async () => {
      const s = stack(env);
      const topicArn = s.arns[logicalIdOf(s.template, 'AWS::SNS::Topic', 'AlertsTopic')];
      const topicPolicy = s.resolve(Object.values(resourcesOfType(s.template, 'AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument);
      const keyId = logicalIdOf(s.template, 'AWS::KMS::Key', 'AlertsKey');
      const keyPolicy = s.resolve(s.template.Resources[keyId].Properties.KeyPolicy);
      const rules = Object.values(resourcesOfType(s.template, 'AWS::Events::Rule'))
        .map((r) => s.resolve(r.Properties))
        .filter((r) => r.Targets.some((t: any) => t.Arn === topicArn));
      expect(rules.map((r) => r.Name).sort()).toEqual([
        `fleapo-${env}-alarm-raised`,
        `fleapo-${env}-deployment-failed`,
        `fleapo-${env}-rotation-failed`,
        `fleapo-${env}-unexpected-secret-reader`,
      ]);
      const ruleArn = (name: string, account = ACCOUNT) => `arn:aws:events:us-east-1:${account}:rule/${name}`;
      const publish = (sourceArn: string | undefined, sourceAccount: string | undefined) => {
        const context: Record<string, string> = { 'aws:SecureTransport': 'true' };
        if (sourceArn) context['aws:SourceArn'] = sourceArn;
        if (sourceAccount) context['aws:SourceAccount'] = sourceAccount;
        return Promise.all([
          evaluate({
            principal: 'events.amazonaws.com',
            action: 'sns:Publish',
            resource: topicArn,
            resourceAccount: ACCOUNT,
            resourcePolicy: topicPolicy,
            context,
          }),
          evaluate({
            principal: 'events.amazonaws.com',
            action: 'kms:GenerateDataKey',
            resource: s.arns[keyId],
            resourceAccount: ACCOUNT,
            resourcePolicy: keyPolicy,
            context,
          }),
        ]).then((d) => d.join(' '));
      };
      for (const rule of rules) await expect(publish(ruleArn(rule.Name), ACCOUNT)).resolves.toBe('Allowed Allowed');
      await expect(publish(ruleArn(`fleapo-${env}-database-role-retirement-retry`), ACCOUNT)).resolves.toBe(
        'ImplicitlyDenied ImplicitlyDenied',
      );
      await expect(publish(ruleArn(`fleapo-${other}-rotation-failed`), ACCOUNT)).resolves.toBe('ImplicitlyDenied ImplicitlyDenied');
      await expect(publish(ruleArn(`fleapo-${env}-rotation-failed`, OTHER_ACCOUNT), OTHER_ACCOUNT)).resolves.toBe(
        'ImplicitlyDenied ImplicitlyDenied',
      );
      await expect(publish(undefined, undefined)).resolves.toBe('ImplicitlyDenied ImplicitlyDenied');
      // Alarms reach the topic through the alarm-raised rule: no alarm action, so CloudWatch is admitted nowhere.
      for (const alarm of Object.values(resourcesOfType(s.template, 'AWS::CloudWatch::Alarm')))
        expect(alarm.Properties.AlarmActions).toBeUndefined();
      expect(JSON.stringify([topicPolicy, keyPolicy])).not.toContain('cloudwatch.amazonaws.com');
    });
  });

  describe("each function gets what it uses and nothing else (its policies within the environment's boundary)", () => {
    test('function roles carry no AWS managed policy and write only their own log group', async () => {
      const s = stack(env);
      const names = [...Object.keys(ROTATION_FUNCTIONS), 'database-role-retirement'];
      for (const name of names) {
        expect(s.role(name).ManagedPolicyArns).toBeUndefined();
        const who = s.who(name);
        await expect(evaluate({ ...who, action: 'logs:PutLogEvents', resource: s.logGroupArn(name) })).resolves.toBe('Allowed');
        await expect(evaluate({ ...who, action: 'logs:CreateLogStream', resource: s.logGroupArn(name) })).resolves.toBe('Allowed');
        const neighbour = names.find((n) => n !== name)!;
        await expect(
          evaluate({ ...who, action: 'logs:PutLogEvents', resource: s.logGroupArn(neighbour) }).then(
            (d) => `${name} -> ${neighbour} logs: ${d}`,
          ),
        ).resolves.toBe(`${name} -> ${neighbour} logs: ImplicitlyDenied`);
        await expect(
          evaluate({ ...who, action: 'logs:CreateLogGroup', resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:anything` }),
        ).resolves.toBe('ImplicitlyDenied');
        await expect(
          evaluate({ ...who, action: 'secretsmanager:GetRandomPassword', resource: '*' }).then((d) => `${name} GetRandomPassword: ${d}`),
        ).resolves.toBe(`${name} GetRandomPassword: ImplicitlyDenied`);
      }
    });

    test("a VPC function's role creates network interfaces only in its own subnets with its own security group", async () => {
      const s = stack(env);
      const o = stack(env === 'prod' ? 'staging' : 'prod');
      /** The function's VPC placement as ARNs: its subnets (literal ids) and security groups (their stack's ARNs). */
      const placement = (t: typeof s, name: string) => {
        const fn = Object.values(resourcesOfType(t.template, 'AWS::Lambda::Function')).find(
          (r) => r.Properties.FunctionName === `fleapo-${t === s ? env : env === 'prod' ? 'staging' : 'prod'}-${name}`,
        )!;
        const vpc = fn.Properties.VpcConfig;
        return {
          subnets: (vpc.SubnetIds as string[]).map((id) => `arn:aws:ec2:us-east-1:${ACCOUNT}:subnet/${id}`),
          groups: (vpc.SecurityGroupIds as any[]).map((g) => `arn:aws:ec2:us-east-1:${ACCOUNT}:security-group/${t.resolve(g)}`),
        };
      };
      const eni = `arn:aws:ec2:us-east-1:${ACCOUNT}:network-interface/eni-0123456789abcdef0`;
      for (const name of ['database-url-rotation', 'database-role-retirement']) {
        const who = s.who(name);
        const own = placement(s, name);
        const theirs = placement(o, name);
        expect(own.subnets.length).toBeGreaterThan(0);
        expect(own.groups.length).toBeGreaterThan(0);
        // (The harness resolves a group id to its stack and logical id, in the role's policy as here: distinct per environment.)
        expect(own.groups).not.toEqual(theirs.groups);
        // The stack tags its security groups for the environment (the boundary admits only those).
        const tag = (e: string) => ({ 'aws:ResourceTag/fleapo:environment': e });
        const decide = (resource: string, context = {}) =>
          evaluate({ ...who, action: 'ec2:CreateNetworkInterface', resource, context }).then((d) => `${name} on ${resource}: ${d}`);
        for (const resource of [eni, ...own.subnets]) await expect(decide(resource)).resolves.toBe(`${name} on ${resource}: Allowed`);
        for (const resource of own.groups) await expect(decide(resource, tag(env))).resolves.toBe(`${name} on ${resource}: Allowed`);
        for (const resource of theirs.subnets) await expect(decide(resource)).resolves.toMatch(/: (Implicitly|Explicitly)Denied$/);
        for (const resource of theirs.groups) {
          await expect(decide(resource, tag(env === 'prod' ? 'staging' : 'prod'))).resolves.toMatch(/: (Implicitly|Explicitly)Denied$/);
        }
        await expect(evaluate({ ...who, action: 'ec2:DeleteNetworkInterface', resource: eni })).resolves.toBe('Allowed');
      }
    });

    test("KMS: Decrypt and GenerateDataKey through Secrets Manager for the function's own secret only; never Encrypt or ReEncrypt", async () => {
      const s = stack(env);
      const via = { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' };
      const kms = (name: string, action: string, secret: string) =>
        evaluate({
          ...s.who(name),
          action,
          resource: s.keyArn,
          resourcePolicy: s.keyPolicy,
          context: { ...via, 'kms:EncryptionContext:SecretARN': s.secretArn(secret), 'aws:ResourceTag/fleapo:environment': env },
        }).then((d) => `${name} ${action} ${secret}: ${d}`);
      for (const [name, own] of Object.entries(ROTATION_FUNCTIONS)) {
        for (const action of ['kms:Decrypt', 'kms:GenerateDataKey'])
          await expect(kms(name, action, own)).resolves.toBe(`${name} ${action} ${own}: Allowed`);
        // The key policy denies them to every principal but the deployer (SecretAccessPolicies).
        for (const action of ['kms:Encrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'])
          await expect(kms(name, action, own)).resolves.toBe(`${name} ${action} ${own}: ExplicitlyDenied`);
        // The five secrets share the environment's key: the encryption context keeps each function to its own.
        for (const secret of Object.values(ROTATION_FUNCTIONS).filter((x) => x !== own)) {
          await expect(kms(name, 'kms:Decrypt', secret)).resolves.toBe(`${name} kms:Decrypt ${secret}: ImplicitlyDenied`);
        }
      }
      await expect(kms('database-role-retirement', 'kms:Decrypt', 'database-url')).resolves.toBe(
        'database-role-retirement kms:Decrypt database-url: Allowed',
      );
      await expect(kms('database-role-retirement', 'kms:GenerateDataKey', 'database-url')).resolves.toBe(
        'database-role-retirement kms:GenerateDataKey database-url: ExplicitlyDenied',
      );
      await expect(kms('database-role-retirement', 'kms:Decrypt', 'auth-secret')).resolves.toBe(
        'database-role-retirement kms:Decrypt auth-secret: ImplicitlyDenied',
      );
    });

    test('tags: rotation functions write only the rollout record, the retirement only its own key', async () => {
      const s = stack(env);
      const tag = (name: string, secret: string, keys: string[]) =>
        evaluate({
          ...s.who(name),
          action: 'secretsmanager:TagResource',
          resource: s.secretArn(secret),
          context: { 'aws:TagKeys': keys },
        }).then((d) => `${name} ${keys.join(',')}: ${d}`);
      const rollout = ['fleapo:rollout-version', 'fleapo:rollout-deployment'];
      for (const [name, own] of Object.entries(ROTATION_FUNCTIONS)) {
        await expect(tag(name, own, rollout)).resolves.toBe(`${name} ${rollout.join(',')}: Allowed`);
        await expect(tag(name, own, ['fleapo:retired-deployment'])).resolves.toBe(`${name} fleapo:retired-deployment: ImplicitlyDenied`);
      }
      await expect(tag('database-role-retirement', 'database-url', ['fleapo:retired-deployment'])).resolves.toBe(
        'database-role-retirement fleapo:retired-deployment: Allowed',
      );
      await expect(tag('database-role-retirement', 'database-url', ['fleapo:rollout-deployment'])).resolves.toBe(
        'database-role-retirement fleapo:rollout-deployment: ImplicitlyDenied',
      );
      await expect(tag('database-role-retirement', 'database-url', ['fleapo:retired-deployment', 'owner'])).resolves.toBe(
        'database-role-retirement fleapo:retired-deployment,owner: ImplicitlyDenied',
      );
    });

    test('the ECS execution role still injects the five secrets, pulls the image and writes its logs within the boundary', async () => {
      const s = stack(env);
      const roleId = logicalIdOf(s.template, 'AWS::IAM::Role', 'AppExecutionRole');
      expect(s.template.Resources[roleId].Properties.RoleName).toBe(`fleapo-${env}-ecs-execution`);
      const who = {
        principal: s.arns[roleId],
        identityPolicies: rolePolicies(s.template, roleId, at(env)),
        permissionBoundaries: [boundary(env)],
        resourceAccount: ACCOUNT,
      };
      for (const secret of Object.values(ROTATION_FUNCTIONS)) {
        await expect(evaluate({ ...who, action: 'secretsmanager:GetSecretValue', resource: s.secretArn(secret) })).resolves.toBe('Allowed');
        const context = {
          'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
          'kms:EncryptionContext:SecretARN': s.secretArn(secret),
          'aws:ResourceTag/fleapo:environment': env,
        };
        await expect(evaluate({ ...who, action: 'kms:Decrypt', resource: s.keyArn, resourcePolicy: s.keyPolicy, context })).resolves.toBe(
          'Allowed',
        );
      }
      await expect(
        evaluate({ ...who, action: 'ecr:BatchGetImage', resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/fleapo-web` }),
      ).resolves.toBe('Allowed');
      await expect(evaluate({ ...who, action: 'ecr:GetAuthorizationToken', resource: '*' })).resolves.toBe('Allowed');
      await expect(
        evaluate({
          ...who,
          action: 'logs:PutLogEvents',
          resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/fleapo/${env}/fleapo-web:log-stream:web/App/1`,
        }),
      ).resolves.toBe('Allowed');
      await expect(
        evaluate({ ...who, action: 'secretsmanager:GetSecretValue', resource: stack(other).secretArn('auth-secret') }),
      ).resolves.not.toBe('Allowed');
    });

    test('ecs:UpdateService: a forced new deployment of the own service only; no other task definition, exec, network or size', async () => {
      const s = stack(env);
      const update = (name: string, context: Record<string, string | string[]>, resource = s.serviceArn) =>
        evaluate({ ...s.who(name), action: 'ecs:UpdateService', resource, context: { 'ecs:cluster': s.cluster, ...context } });
      const subnet = env === 'prod' ? 'subnet-0f1e2d3c4b5a60001' : 'subnet-0a1b2c3d4e5f60001';
      const cases: [string, Record<string, string | string[]>, string][] = [
        ['forceNewDeployment alone', {}, 'Allowed'],
        ['the same task definition', { 'ecs:task-definition': s.taskDefinitionArn }, 'Allowed'],
        ['its own subnets', { 'ecs:subnet': [subnet] }, 'Allowed'],
        [
          'another task definition',
          { 'ecs:task-definition': `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/attacker:1` },
          'ImplicitlyDenied',
        ],
        ['enabling execute command', { 'ecs:enable-execute-command': 'true' }, 'ImplicitlyDenied'],
        ['another subnet', { 'ecs:subnet': [subnet, 'subnet-0123456789abcdef0'] }, 'ImplicitlyDenied'],
        ['a public IP', { 'ecs:auto-assign-public-ip': 'true' }, 'ImplicitlyDenied'],
        ['a capacity provider', { 'ecs:capacity-provider': [`arn:aws:ecs:us-east-1:${ACCOUNT}:capacity-provider/x`] }, 'ImplicitlyDenied'],
        ['another task size', { 'ecs:task-cpu': '4096' }, 'ImplicitlyDenied'],
        ['Service Connect', { 'ecs:enable-service-connect': 'true' }, 'ImplicitlyDenied'],
        // Not granted, and denied outright by the boundary (tasks and services only in the environment's own cluster).
        ['another cluster', { 'ecs:cluster': `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/other` }, 'ExplicitlyDenied'],
      ];
      for (const name of Object.keys(ROTATION_FUNCTIONS)) {
        for (const [what, context, decision] of cases) {
          await expect(update(name, context).then((d) => `${name}, ${what}: ${d}`)).resolves.toBe(`${name}, ${what}: ${decision}`);
        }
        const o = stack(other);
        // The other environment's service: not granted, and denied outright by the environment's boundary.
        await expect(update(name, { 'ecs:cluster': o.cluster }, o.serviceArn)).resolves.toBe('ExplicitlyDenied');
      }
      await expect(update('database-role-retirement', {})).resolves.toBe('ImplicitlyDenied');
      await expect(
        evaluate({ ...s.who('database-role-retirement'), action: 'ecs:DescribeServices', resource: s.serviceArn }),
      ).resolves.toBe('Allowed');
    });
  });
});
