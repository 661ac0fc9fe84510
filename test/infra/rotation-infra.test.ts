import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createFleapoApp } from '../../lib/fleapo-app';
import { evaluate } from './iam-evaluator';
import { logicalIdOf, physicalArns, resolveIntrinsics, rolePolicies, type StackLocation } from './resolve-arns';
import { resourcesOfType, synthesizeApp, type Template } from './synthesized-app';
import { OutputCapture } from '../support/output-capture';
import { bundleAll } from '../support/bundle-handlers';
import { HANDLERS, type HandlerName } from '../../catalog/handlers';
import { EXTERNAL_SECRET_NAMES, SECRETS } from '../../catalog/secrets';

const WHERE: StackLocation = { account: '111111111111', region: 'us-east-1' };
const at = (env: string): StackLocation => ({ ...WHERE, stackName: `Fleapo-${env}` });
let templates: Record<string, Template>;

beforeAll(() => {
  templates = synthesizeApp();
});

function stack(env: string) {
  const template = templates[`Fleapo-${env}`];
  const arns = physicalArns(template, at(env));
  const fnId = (name: string) =>
    Object.entries(resourcesOfType(template, 'AWS::Lambda::Function')).find(
      ([, r]) => r.Properties.FunctionName === `fleapo-${env}-${name}`,
    )![0];
  const fnRole = (name: string) => template.Resources[fnId(name)].Properties.Role['Fn::GetAtt'][0] as string;
  const secretArn = (suffix: string) =>
    arns[
      Object.entries(resourcesOfType(template, 'AWS::SecretsManager::Secret')).find(
        ([, r]) => r.Properties.Name === `fleapo/${env}/${suffix}`,
      )![0]
    ];
  const keyId = logicalIdOf(template, 'AWS::KMS::Key', 'SecretsKey');
  return {
    template,
    arns,
    fnId,
    principal: (name: string) => ({
      principal: arns[fnRole(name)],
      identityPolicies: rolePolicies(template, fnRole(name), at(env)),
      resourceAccount: WHERE.account,
    }),
    secretArn,
    serviceArn: arns[logicalIdOf(template, 'AWS::ECS::Service', 'AppService')],
    /** What ECS puts in the request context of UpdateService: the service's cluster. */
    cluster: { 'ecs:cluster': `arn:aws:ecs:us-east-1:111111111111:cluster/fleapo-${env}` },
    keyArn: arns[keyId],
    keyPolicy: resolveIntrinsics(template.Resources[keyId].Properties.KeyPolicy, arns, at(env)),
  };
}

const rules = (template: Template) => Object.values(resourcesOfType(template, 'AWS::Events::Rule')).map((r) => r.Properties);

describe.each(['staging', 'prod'])('rotation in %s', (env) => {
  const other = env === 'prod' ? 'staging' : 'prod';

  test("CloudFormation manages no tag of the secrets (their tags are the rotation's rollout record)", () => {
    const secrets = Object.values(resourcesOfType(stack(env).template, 'AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(5);
    for (const secret of secrets) expect(secret.Properties.Tags).toBeUndefined();
  });

  test('AUTH_SECRET rotates on the configured cron in a two-hour window, never at deploy time', () => {
    const s = stack(env);
    const schedules = Object.values(resourcesOfType(s.template, 'AWS::SecretsManager::RotationSchedule')).map((r) =>
      resolveIntrinsics(r.Properties, s.arns, WHERE),
    );
    const auth = schedules.find((p) => p.SecretId === s.secretArn('auth-secret'));
    expect(auth).toMatchObject({
      RotationRules: { ScheduleExpression: 'cron(0 4 ? * SUN *)', Duration: '2h' },
      RotateImmediatelyOnUpdate: false,
      RotationLambdaARN: s.arns[s.fnId('auth-secret-rotation')],
    });
    expect(auth.RotationRules.AutomaticallyAfterDays).toBeUndefined();
    const db = schedules.find((p) => p.SecretId === s.secretArn('database-url'));
    expect(db).toMatchObject({
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotationLambdaARN: s.arns[s.fnId('database-url-rotation')],
    });
    expect(db.RotationRules.AutomaticallyAfterDays).toBeUndefined();
    expect(schedules).toHaveLength(5);
  });

  test("the Stripe and PostHog secrets rotate on demand only, each with a function of its own that knows the environment's Stripe mode", () => {
    const s = stack(env);
    const schedules = Object.values(resourcesOfType(s.template, 'AWS::SecretsManager::RotationSchedule')).map((r) =>
      resolveIntrinsics(r.Properties, s.arns, WHERE),
    );
    for (const kind of ['stripe-secret-key', 'stripe-webhook-secret', 'posthog-api-key']) {
      const schedule = schedules.find((p) => p.SecretId === s.secretArn(kind));
      expect(schedule).toEqual({
        SecretId: s.secretArn(kind),
        RotationLambdaARN: s.arns[s.fnId(`${kind}-rotation`)],
        RotateImmediatelyOnUpdate: false,
      });
      const fn = s.template.Resources[s.fnId(`${kind}-rotation`)].Properties;
      expect(fn.Environment.Variables).toMatchObject({
        EXTERNAL_SECRET_NAME: kind.toUpperCase().replace(/-/g, '_'),
        STRIPE_MODE: env === 'prod' ? 'live' : 'test',
        POSTHOG_API_HOST: 'https://us.i.posthog.com',
        FLEAPO_ENVIRONMENT: env,
      });
      expect(fn.VpcConfig).toBeUndefined(); // reaches api.stripe.com / PostHog over the internet
    }
  });

  test('each Stripe or PostHog rotation function stages only its own secret', async () => {
    const s = stack(env);
    const kinds = ['stripe-secret-key', 'stripe-webhook-secret', 'posthog-api-key'];
    for (const kind of kinds) {
      const who = s.principal(`${kind}-rotation`);
      for (const target of [...kinds, 'auth-secret', 'database-url']) {
        const decision = await evaluate({ ...who, action: 'secretsmanager:PutSecretValue', resource: s.secretArn(target) });
        expect(`${kind} -> ${target}: ${decision}`).toBe(`${kind} -> ${target}: ${target === kind ? 'Allowed' : 'ImplicitlyDenied'}`);
      }
      await expect(evaluate({ ...who, action: 'ecs:UpdateService', resource: s.serviceArn, context: s.cluster })).resolves.toBe('Allowed');
      await expect(
        evaluate({ ...who, action: 'ecs:UpdateService', resource: stack(other).serviceArn, context: stack(other).cluster }),
      ).resolves.toBe('ImplicitlyDenied');
    }
  });

  test('the functions that reach the database run in its subnets with their own security group, admitted on its port only', () => {
    const s = stack(env);
    const sgId = logicalIdOf(s.template, 'AWS::EC2::SecurityGroup', 'DatabaseUrlRotationSecurityGroup');
    for (const name of ['database-url-rotation', 'database-role-retirement']) {
      const vpcConfig = s.template.Resources[s.fnId(name)].Properties.VpcConfig;
      expect(vpcConfig.SubnetIds).toEqual(expect.arrayContaining([expect.stringMatching(/^subnet-/)]));
      expect(vpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [sgId, 'GroupId'] }]);
    }
    expect(s.template.Resources[s.fnId('auth-secret-rotation')].Properties.VpcConfig).toBeUndefined();
    const databaseSg = env === 'prod' ? 'sg-0f1e2d3c4b5a60020' : 'sg-0a1b2c3d4e5f60020';
    const ingress = Object.values(resourcesOfType(s.template, 'AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress.filter((i) => typeof i.GroupId === 'string')).toEqual([
      expect.objectContaining({
        GroupId: databaseSg,
        IpProtocol: 'tcp',
        FromPort: 5432,
        ToPort: 5432,
        SourceSecurityGroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] },
      }),
    ]);
    const egress = [
      ...(s.template.Resources[sgId].Properties.SecurityGroupEgress ?? []),
      ...Object.values(resourcesOfType(s.template, 'AWS::EC2::SecurityGroupEgress'))
        .filter((r) => r.Properties.GroupId['Fn::GetAtt']?.[0] === sgId)
        .map((r) => r.Properties),
    ];
    const endpoints = Object.values(resourcesOfType(s.template, 'AWS::EC2::VPCEndpoint')).map((r) => r.Properties);
    const describe = (e: any) =>
      `${e.CidrIp ?? e.DestinationSecurityGroupId?.['Fn::GetAtt']?.[0] ?? e.DestinationSecurityGroupId}:${e.FromPort}`;
    if (env === 'prod') {
      // prod creates its own Secrets Manager and ECS endpoints: HTTPS goes to them and nowhere else.
      const endpointSg = logicalIdOf(s.template, 'AWS::EC2::SecurityGroup', 'DatabaseUrlRotationEndpointSecurityGroup');
      expect(egress.map(describe).sort()).toEqual([`${endpointSg}:443`, 'sg-0f1e2d3c4b5a60020:5432']);
      expect(endpoints.map((e) => resolveIntrinsics(e.ServiceName, s.arns, WHERE)).sort()).toEqual([
        'com.amazonaws.us-east-1.ecs',
        'com.amazonaws.us-east-1.secretsmanager',
      ]);
      // Private DNS off: only the functions use them (see interface-endpoints.test.ts).
      expect(endpoints.every((e) => e.PrivateDnsEnabled === false && e.VpcEndpointType === 'Interface')).toBe(true);
    } else {
      // staging reaches the APIs through what its VPC has (NAT or existing endpoints).
      expect(egress.map(describe).sort()).toEqual(['0.0.0.0/0:443', 'sg-0a1b2c3d4e5f60020:5432']);
      expect(endpoints).toEqual([]);
    }
  });

  test('deployments of the service and a 15-minute tick start the retirement; failures and alarms reach the alert topic', () => {
    const s = stack(env);
    const all = rules(s.template).map((r) => resolveIntrinsics(r, s.arns, WHERE));
    const retirementArn = s.arns[s.fnId('database-role-retirement')];
    const onDeployment = all.find(
      (r) => r.EventPattern?.['detail-type']?.[0] === 'ECS Deployment State Change' && r.Targets[0].Arn === retirementArn,
    );
    expect(onDeployment.EventPattern).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Deployment State Change'],
      resources: [s.serviceArn],
    });
    expect(all.find((r) => r.ScheduleExpression === 'rate(15 minutes)').Targets[0].Arn).toBe(retirementArn);

    const topic = s.arns[logicalIdOf(s.template, 'AWS::SNS::Topic', 'AlertsTopic')];
    const toTopic = all.filter((r) => r.Targets[0].Arn === topic).map((r) => r.EventPattern);
    expect(toTopic).toEqual(
      expect.arrayContaining([
        {
          source: ['aws.secretsmanager'],
          detail: {
            eventName: ['RotationFailed', 'RotationAbandoned'],
            additionalEventData: { SecretId: [{ prefix: `arn:aws:secretsmanager:us-east-1:111111111111:secret:fleapo/${env}/` }] },
          },
        },
        {
          source: ['aws.ecs'],
          'detail-type': ['ECS Deployment State Change'],
          resources: [s.serviceArn],
          detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
        },
        {
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          resources: [{ prefix: `arn:aws:cloudwatch:us-east-1:111111111111:alarm:fleapo-${env}-` }],
          detail: { state: { value: ['ALARM'] } },
        },
      ]),
    );
    const alarms = Object.values(resourcesOfType(s.template, 'AWS::CloudWatch::Alarm')).map((r) => r.Properties);
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual([
      `fleapo-${env}-database-role-retirement-blocked`,
      `fleapo-${env}-database-role-retirement-errors`,
      `fleapo-${env}-database-role-retirement-refused`,
      `fleapo-${env}-database-role-retirement-stalled`,
      `fleapo-${env}-rotation-rollout-not-recorded`,
    ]);
    // Each alarm but the function's errors counts records in the environment's own log groups (a Contributor Insights
    // rule), never an EMF metric another environment's function could log.
    const insightRules = Object.fromEntries(
      Object.values(resourcesOfType(s.template, 'AWS::CloudWatch::InsightRule')).map((r) => [
        r.Properties.RuleName,
        JSON.parse(r.Properties.RuleBody),
      ]),
    );
    const counted = (alarm: any) => {
      const expression = alarm.Metrics?.[0]?.Expression as string | undefined;
      const rule = /^INSIGHT_RULE_METRIC\('([^']+)', 'SampleCount'\)$/.exec(expression ?? '')?.[1];
      return rule === undefined ? undefined : { rule, period: alarm.Metrics[0].Period, body: insightRules[rule] };
    };
    const stalled = alarms.find((a) => a.AlarmName.endsWith('-stalled'));
    expect(stalled).toMatchObject({ EvaluationPeriods: 2, DatapointsToAlarm: 2, Threshold: 1 });
    expect(counted(stalled)).toEqual({
      rule: `fleapo-${env}-database-role-retirement-stalled`,
      period: 900,
      body: {
        Schema: { Name: 'CloudWatchLogRule', Version: 1 },
        LogGroupNames: [`/aws/lambda/fleapo-${env}-database-role-retirement`],
        LogFormat: 'JSON',
        Contribution: { Keys: ['$.RetirementStalled'], Filters: [{ Match: '$.RetirementStalled', GreaterThan: 0 }] },
        AggregateOn: 'Count',
      },
    });
    const blocked = alarms.find((a) => a.AlarmName.endsWith('-blocked'));
    expect(blocked).toMatchObject({ EvaluationPeriods: 4 });
    expect(counted(blocked)).toMatchObject({ period: 900, body: { Contribution: { Keys: ['$.RetirementBlocked'] } } });
    const notRecorded = alarms.find((a) => a.AlarmName.endsWith('-rollout-not-recorded'));
    expect(counted(notRecorded)).toMatchObject({ period: 300, body: { LogGroupNames: [`/aws/lambda/fleapo-${env}-*`] } });
    for (const alarm of alarms) {
      if (alarm.AlarmName.endsWith('-errors')) continue;
      expect(alarm.Namespace).toBeUndefined();
      for (const group of counted(alarm)!.body.LogGroupNames) expect(group).toMatch(new RegExp(`^/aws/lambda/fleapo-${env}-`));
    }
  });

  test('each rotation function may stage only its own secret; only the database ones read the master secret', async () => {
    const s = stack(env);
    const o = stack(other);
    const auth = s.principal('auth-secret-rotation');
    const db = s.principal('database-url-rotation');
    const retirement = s.principal('database-role-retirement');
    const master = `arn:aws:secretsmanager:us-east-1:111111111111:secret:rds!cluster-${env}-AbCdEf`;
    const cases: [typeof auth, string, string, string][] = [
      [auth, 'secretsmanager:PutSecretValue', s.secretArn('auth-secret'), 'Allowed'],
      [auth, 'secretsmanager:UpdateSecretVersionStage', s.secretArn('auth-secret'), 'Allowed'],
      [auth, 'secretsmanager:PutSecretValue', s.secretArn('database-url'), 'ImplicitlyDenied'],
      [auth, 'secretsmanager:GetSecretValue', s.secretArn('stripe-secret-key'), 'ImplicitlyDenied'],
      [auth, 'secretsmanager:GetSecretValue', master, 'ImplicitlyDenied'],
      [auth, 'secretsmanager:PutSecretValue', o.secretArn('auth-secret'), 'ImplicitlyDenied'],
      [db, 'secretsmanager:PutSecretValue', s.secretArn('database-url'), 'Allowed'],
      [db, 'secretsmanager:GetSecretValue', master, 'Allowed'],
      [db, 'secretsmanager:PutSecretValue', s.secretArn('auth-secret'), 'ImplicitlyDenied'],
      [
        db,
        'secretsmanager:GetSecretValue',
        `arn:aws:secretsmanager:us-east-1:111111111111:secret:rds!cluster-${other}-AbCdEf`,
        'ImplicitlyDenied',
      ],
      [db, 'secretsmanager:PutSecretValue', o.secretArn('database-url'), 'ImplicitlyDenied'],
      [retirement, 'secretsmanager:GetSecretValue', s.secretArn('database-url'), 'Allowed'],
      [retirement, 'secretsmanager:GetSecretValue', master, 'Allowed'],
      [retirement, 'secretsmanager:PutSecretValue', s.secretArn('database-url'), 'ImplicitlyDenied'],
      [retirement, 'secretsmanager:UpdateSecretVersionStage', s.secretArn('database-url'), 'ImplicitlyDenied'],
    ];
    for (const [who, action, resource, decision] of cases) {
      await expect(evaluate({ ...who, action, resource }).then((d) => `${action} ${resource}: ${d}`)).resolves.toBe(
        `${action} ${resource}: ${decision}`,
      );
    }
  });

  test('rotation functions roll only their own service and tag their secret only with the rollout keys', async () => {
    const s = stack(env);
    const o = stack(other);
    for (const name of ['auth-secret-rotation', 'database-url-rotation']) {
      const who = s.principal(name);
      await expect(evaluate({ ...who, action: 'ecs:UpdateService', resource: s.serviceArn, context: s.cluster })).resolves.toBe('Allowed');
      await expect(evaluate({ ...who, action: 'ecs:UpdateService', resource: o.serviceArn, context: o.cluster })).resolves.toBe(
        'ImplicitlyDenied',
      );
      const own = s.secretArn(name === 'auth-secret-rotation' ? 'auth-secret' : 'database-url');
      await expect(
        evaluate({
          ...who,
          action: 'secretsmanager:TagResource',
          resource: own,
          context: { 'aws:TagKeys': ['fleapo:rollout-version', 'fleapo:rollout-deployment'] },
        }),
      ).resolves.toBe('Allowed');
      await expect(
        evaluate({
          ...who,
          action: 'secretsmanager:TagResource',
          resource: own,
          context: { 'aws:TagKeys': ['fleapo:rollout-version', 'owner'] },
        }),
      ).resolves.toBe('ImplicitlyDenied');
      // Why a step failed, recorded for fleapo-secrets: on its own secret only.
      const refusal = { 'aws:TagKeys': ['fleapo:refused-version', 'fleapo:refusal', 'fleapo:refused-at'] };
      await expect(evaluate({ ...who, action: 'secretsmanager:TagResource', resource: own, context: refusal })).resolves.toBe('Allowed');
      await expect(
        evaluate({ ...who, action: 'secretsmanager:TagResource', resource: s.secretArn('stripe-secret-key'), context: refusal }),
      ).resolves.toBe('ImplicitlyDenied');
      // The pending marker (AWSPENDING belongs to the rotation): its own secret only.
      const marker = { 'aws:TagKeys': ['fleapo:pending'] };
      await expect(evaluate({ ...who, action: 'secretsmanager:TagResource', resource: own, context: marker })).resolves.toBe('Allowed');
      await expect(
        evaluate({ ...who, action: 'secretsmanager:TagResource', resource: s.secretArn('posthog-api-key'), context: marker }),
      ).resolves.toBe('ImplicitlyDenied');
    }
    for (const kind of ['stripe-secret-key', 'stripe-webhook-secret', 'posthog-api-key']) {
      const who = s.principal(`${kind}-rotation`);
      const refusal = { 'aws:TagKeys': ['fleapo:refused-version', 'fleapo:refusal', 'fleapo:refused-at'] };
      await expect(evaluate({ ...who, action: 'secretsmanager:TagResource', resource: s.secretArn(kind), context: refusal })).resolves.toBe(
        'Allowed',
      );
      await expect(
        evaluate({ ...who, action: 'secretsmanager:TagResource', resource: s.secretArn('auth-secret'), context: refusal }),
      ).resolves.toBe('ImplicitlyDenied');
    }
    const retirement = s.principal('database-role-retirement');
    await expect(
      evaluate({
        ...retirement,
        action: 'secretsmanager:TagResource',
        resource: s.secretArn('database-url'),
        context: { 'aws:TagKeys': ['fleapo:refusal'] },
      }),
    ).resolves.toBe('ImplicitlyDenied');
    await expect(
      evaluate({
        ...retirement,
        action: 'secretsmanager:TagResource',
        resource: s.secretArn('database-url'),
        context: { 'aws:TagKeys': ['fleapo:pending'] },
      }),
    ).resolves.toBe('ImplicitlyDenied');
    await expect(
      evaluate({ ...retirement, action: 'secretsmanager:ListSecretVersionIds', resource: s.secretArn('database-url') }),
    ).resolves.toBe('Allowed');
    await expect(evaluate({ ...retirement, action: 'ecs:UpdateService', resource: s.serviceArn, context: s.cluster })).resolves.toBe(
      'ImplicitlyDenied',
    );
    await expect(evaluate({ ...retirement, action: 'ecs:DescribeServices', resource: s.serviceArn })).resolves.toBe('Allowed');
  });

  test('the AUTH_SECRET rotation reads the rollout of its own service only: DescribeServices, and ListTasks/DescribeTasks in its cluster', async () => {
    const s = stack(env);
    const o = stack(other);
    const who = s.principal('auth-secret-rotation');
    const cluster = (e: string) => `arn:aws:ecs:us-east-1:111111111111:cluster/fleapo-${e}`;
    const taskOf = (e: string) => `arn:aws:ecs:us-east-1:111111111111:task/fleapo-${e}/0123456789abcdef0123456789abcdef`;
    const cases: [string, string, Record<string, string>, string][] = [
      ['ecs:DescribeServices', s.serviceArn, {}, 'Allowed'],
      ['ecs:DescribeServices', o.serviceArn, {}, 'ImplicitlyDenied'],
      [
        'ecs:ListTasks',
        `arn:aws:ecs:us-east-1:111111111111:container-instance/fleapo-${env}/abc`,
        { 'ecs:cluster': cluster(env) },
        'Allowed',
      ],
      [
        'ecs:ListTasks',
        `arn:aws:ecs:us-east-1:111111111111:container-instance/fleapo-${other}/abc`,
        { 'ecs:cluster': cluster(other) },
        'ImplicitlyDenied',
      ],
      ['ecs:DescribeTasks', taskOf(env), { 'ecs:cluster': cluster(env) }, 'Allowed'],
      ['ecs:DescribeTasks', taskOf(other), { 'ecs:cluster': cluster(other) }, 'ImplicitlyDenied'],
      ['ecs:StopTask', taskOf(env), { 'ecs:cluster': cluster(env) }, 'ImplicitlyDenied'],
    ];
    for (const [action, resource, context, expected] of cases) {
      await expect(evaluate({ ...who, action, resource, context }).then((d) => `${action} ${resource}: ${d}`)).resolves.toBe(
        `${action} ${resource}: ${expected}`,
      );
    }
  });

  test('the Stripe revoke notice: on completed deployments of its service; publishes to its alert topic only; describes the Stripe secrets, never reads them', async () => {
    const s = stack(env);
    const o = stack(other);
    const who = s.principal('stripe-revoke-notice');
    const topic = (t: ReturnType<typeof stack>) => t.arns[logicalIdOf(t.template, 'AWS::SNS::Topic', 'AlertsTopic')];
    const alertsKeyId = logicalIdOf(s.template, 'AWS::KMS::Key', 'AlertsKey');
    const alertsKey = {
      resource: s.arns[alertsKeyId],
      resourcePolicy: resolveIntrinsics(s.template.Resources[alertsKeyId].Properties.KeyPolicy, s.arns, at(env)),
    };
    await expect(evaluate({ ...who, action: 'sns:Publish', resource: topic(s) })).resolves.toBe('Allowed');
    await expect(evaluate({ ...who, action: 'sns:Publish', resource: topic(o) })).resolves.toBe('ImplicitlyDenied');
    const viaSns = { 'kms:ViaService': 'sns.us-east-1.amazonaws.com' };
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      await expect(evaluate({ ...who, action, ...alertsKey, context: viaSns })).resolves.toBe('Allowed');
      await expect(
        evaluate({ ...who, action, ...alertsKey, context: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } }),
      ).resolves.toBe('ImplicitlyDenied');
    }
    await expect(
      evaluate({ ...who, action: 'kms:Decrypt', resource: s.keyArn, resourcePolicy: s.keyPolicy, context: viaSns }),
    ).resolves.toBe('ExplicitlyDenied'); // the secrets key's policy: only through Secrets Manager, only its readers
    for (const kind of ['stripe-secret-key', 'stripe-webhook-secret']) {
      await expect(evaluate({ ...who, action: 'secretsmanager:DescribeSecret', resource: s.secretArn(kind) })).resolves.toBe('Allowed');
      await expect(evaluate({ ...who, action: 'secretsmanager:GetSecretValue', resource: s.secretArn(kind) })).resolves.toBe(
        'ImplicitlyDenied',
      );
      await expect(
        evaluate({
          ...who,
          action: 'secretsmanager:TagResource',
          resource: s.secretArn(kind),
          context: { 'aws:TagKeys': ['fleapo:revoke-notice-version'] },
        }),
      ).resolves.toBe('Allowed');
      await expect(
        evaluate({
          ...who,
          action: 'secretsmanager:TagResource',
          resource: s.secretArn(kind),
          context: { 'aws:TagKeys': ['fleapo:rollout-version'] },
        }),
      ).resolves.toBe('ImplicitlyDenied');
      await expect(evaluate({ ...who, action: 'secretsmanager:DescribeSecret', resource: o.secretArn(kind) })).resolves.toBe(
        'ImplicitlyDenied',
      );
    }
    await expect(evaluate({ ...who, action: 'secretsmanager:DescribeSecret', resource: s.secretArn('posthog-api-key') })).resolves.toBe(
      'ImplicitlyDenied',
    );
    const rule = rules(s.template).find((r) => r.Description?.includes('announce an old Stripe key'));
    expect(resolveIntrinsics(rule.EventPattern, s.arns, at(env))).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Deployment State Change'],
      resources: [s.serviceArn],
      detail: { eventName: ['SERVICE_DEPLOYMENT_COMPLETED'] },
    });
    expect(resolveIntrinsics(rule.Targets[0].Arn, s.arns, at(env))).toBe(s.arns[s.fnId('stripe-revoke-notice')]);
    // And a tick, for when a standalone task from before the switch held the notice back past the last completion.
    const retry = rules(s.template).find((r) => r.Name === `fleapo-${env}-stripe-revoke-notice-retry`);
    expect(retry.ScheduleExpression).toBe('rate(15 minutes)');
    expect(resolveIntrinsics(retry.Targets[0].Arn, s.arns, at(env))).toBe(s.arns[s.fnId('stripe-revoke-notice')]);
  });

  test('the retirement may list and describe the tasks of its own cluster only, and change none', async () => {
    const s = stack(env);
    const retirement = s.principal('database-role-retirement');
    const cluster = (e: string) => `arn:aws:ecs:us-east-1:111111111111:cluster/fleapo-${e}`;
    const task = (e: string) => `arn:aws:ecs:us-east-1:111111111111:task/fleapo-${e}/0123456789abcdef`;
    const instances = (e: string) => `arn:aws:ecs:us-east-1:111111111111:container-instance/fleapo-${e}/0123456789abcdef`;
    const cases: [string, string, Record<string, string>, string][] = [
      ['ecs:ListTasks', instances(env), { 'ecs:cluster': cluster(env) }, 'Allowed'],
      ['ecs:ListTasks', instances(other), { 'ecs:cluster': cluster(other) }, 'ImplicitlyDenied'],
      ['ecs:DescribeTasks', task(env), { 'ecs:cluster': cluster(env) }, 'Allowed'],
      ['ecs:DescribeTasks', task(other), { 'ecs:cluster': cluster(other) }, 'ImplicitlyDenied'],
      ['ecs:StopTask', task(env), { 'ecs:cluster': cluster(env) }, 'ImplicitlyDenied'],
      [
        'ecs:RunTask',
        `arn:aws:ecs:us-east-1:111111111111:task-definition/fleapo-web:1`,
        { 'ecs:cluster': cluster(env) },
        'ImplicitlyDenied',
      ],
    ];
    for (const [action, resource, context, decision] of cases) {
      await expect(evaluate({ ...retirement, action, resource, context }).then((d) => `${action} ${resource}: ${d}`)).resolves.toBe(
        `${action} ${resource}: ${decision}`,
      );
    }
    // The rotation functions do not get them.
    await expect(
      evaluate({
        ...s.principal('database-url-rotation'),
        action: 'ecs:ListTasks',
        resource: instances(env),
        context: { 'ecs:cluster': cluster(env) },
      }),
    ).resolves.toBe('ImplicitlyDenied');
  });

  test('rotation functions use only their environment key, through Secrets Manager', async () => {
    const s = stack(env);
    const o = stack(other);
    const via = { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' };
    for (const name of ['auth-secret-rotation', 'database-url-rotation']) {
      const who = s.principal(name);
      const own = s.secretArn(name === 'auth-secret-rotation' ? 'auth-secret' : 'database-url');
      const ec = { 'kms:EncryptionContext:SecretARN': own };
      await expect(
        evaluate({ ...who, action: 'kms:GenerateDataKey', resource: s.keyArn, resourcePolicy: s.keyPolicy, context: { ...via, ...ec } }),
      ).resolves.toBe('Allowed');
      await expect(
        evaluate({ ...who, action: 'kms:Decrypt', resource: s.keyArn, resourcePolicy: s.keyPolicy, context: ec }).then(
          (d) => `without ViaService: ${d}`,
        ),
      ).resolves.toBe('without ViaService: ExplicitlyDenied'); // the key policy denies any use not through Secrets Manager
      await expect(
        evaluate({
          ...who,
          action: 'kms:Decrypt',
          resource: o.keyArn,
          resourcePolicy: o.keyPolicy,
          context: { ...via, 'kms:EncryptionContext:SecretARN': o.secretArn('auth-secret') },
        }).then((d) => `other key: ${d}`),
      ).resolves.toBe('other key: ExplicitlyDenied'); // not among the other key's readers
    }
  });

  test('every function tags its secrets only with the tag keys it names: a TagResource naming no key is refused', async () => {
    const s = stack(env);
    /** Each function, the secret it tags and a key of its own there (lib/constructs/secret-function.ts). */
    const taggers: [string, string, string][] = [
      ['auth-secret-rotation', 'auth-secret', 'fleapo:rekeyed-version'],
      ['database-url-rotation', 'database-url', 'fleapo:database-role'],
      ['database-role-retirement', 'database-url', 'fleapo:retired-deployment'],
      ['stripe-revoke-notice', 'stripe-secret-key', 'fleapo:revoke-notice-version'],
      ...EXTERNAL_SECRET_NAMES.map((name): [string, string, string] => [
        `${SECRETS[name].suffix}-rotation`,
        SECRETS[name].suffix,
        'fleapo:pending',
      ]),
    ];
    for (const [fn, secret, key] of taggers) {
      const request = { ...s.principal(fn), action: 'secretsmanager:TagResource', resource: s.secretArn(secret) };
      await expect(evaluate({ ...request, context: { 'aws:TagKeys': [key] } }).then((d) => `${fn} ${key}: ${d}`)).resolves.toBe(
        `${fn} ${key}: Allowed`,
      );
      // ForAllValues holds for a request without the key at all: only the Null condition refuses it.
      await expect(evaluate(request).then((d) => `${fn} no key: ${d}`)).resolves.toBe(`${fn} no key: ImplicitlyDenied`);
    }
  });
});

test('a real synth bundles each handler with esbuild into a small CommonJS file that exports handler', async () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-bundle-'));
  const output = new OutputCapture(); // aws-cdk-lib announces each bundle on stderr
  output.start();
  let assembly;
  try {
    assembly = createFleapoApp({ outdir, context: { 'aws:cdk:bundling-stacks': ['Fleapo-prod'] } }).synth();
  } finally {
    output.stop();
  }
  // Nothing but those announcements (esbuild itself logs only warnings, and there are none).
  expect(output.text.split('\n').filter((l) => l.trim() && !/^Bundling asset \S+\.\.\.$/.test(l))).toEqual([]);
  const template = assembly.getStackByName('Fleapo-prod').template as Template;
  const functions = Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).filter((r) => r.Properties.Code?.S3Key);
  expect(functions).toHaveLength(7);
  // Each bundle is, byte for byte, a bundle of one handler's entry as the handler tests build and run them.
  const built = await bundleAll(fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-each-')));
  const handlerOf = new Map(Object.entries(built).map(([name, { file }]) => [fs.readFileSync(file, 'utf8'), name]));
  expect(handlerOf.size).toBe(Object.keys(HANDLERS).length); // every handler's build differs from every other's
  // Which handler each function must run, from the function's name (not from the bundle): swapping two functions'
  // code, or giving one the build of another handler, fails here.
  const expected: Record<string, HandlerName> = {
    'fleapo-prod-auth-secret-rotation': 'auth-secret-rotation',
    'fleapo-prod-database-url-rotation': 'database-url-rotation',
    'fleapo-prod-database-role-retirement': 'database-role-retirement',
    'fleapo-prod-stripe-revoke-notice': 'stripe-revoke-notice',
    ...Object.fromEntries(
      EXTERNAL_SECRET_NAMES.map((name) => [`fleapo-prod-${SECRETS[name].suffix}-rotation`, 'external-secret-rotation']),
    ),
  };
  expect(functions.map((fn) => fn.Properties.FunctionName).sort()).toEqual(Object.keys(expected).sort());
  const deployed = new Set<string>();
  for (const fn of functions) {
    expect(fn.Properties.Handler).toBe('index.handler');
    const bundle = path.join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`, 'index.js');
    expect(fs.statSync(bundle).size).toBeLessThan(300 * 1024);
    const handler = handlerOf.get(fs.readFileSync(bundle, 'utf8'));
    expect({ fn: fn.Properties.FunctionName, handler }).toEqual({
      fn: fn.Properties.FunctionName,
      handler: expected[fn.Properties.FunctionName],
    });
    deployed.add(handler!);
    // As in the Lambda runtime, the AWS SDK v3 comes from outside the bundle (here: this project's node_modules).
    const exported = execFileSync(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(bundle)}).handler)`], {
      env: { ...process.env, NODE_PATH: path.join(__dirname, '..', '..', 'node_modules') },
      encoding: 'utf8',
    });
    expect(exported).toBe('function');
  }
  expect([...deployed].sort()).toEqual(Object.keys(HANDLERS).sort());

  // Synthesized again into the same cdk.out, nothing is bundled again (the bundles are keyed by their inputs) and
  // the template is the same.
  const again = new OutputCapture();
  again.start();
  let second;
  try {
    second = createFleapoApp({ outdir, context: { 'aws:cdk:bundling-stacks': ['Fleapo-prod'] } }).synth();
  } finally {
    again.stop();
  }
  expect(again.text).not.toContain('Bundling asset');
  expect(second.getStackByName('Fleapo-prod').template).toEqual(template);
}, 180000);
