import { matchesEventPattern } from '../support/event-pattern';
import { FakeCloudTrail } from '../support/fake-cloudtrail';
import { evaluate } from './iam-evaluator';
import { logicalIdOf, physicalArns, resolveIntrinsics, rolePolicies, type StackLocation } from './resolve-arns';
import { resourcesOfType, synthesizeApp, type Template } from './synthesized-app';

/**
 * The unexpected-reader alarm, from the synthesized app: its rule's state lets it see read-only CloudTrail events, its
 * pattern (run with EventBridge's matching rules, test/support/event-pattern.ts) reports a read of the environment's
 * secrets by anyone but exactly the expected roles, and the alert topic admits it.
 */
const ACCOUNT = '111111111111';
const at = (env: string): StackLocation => ({ account: ACCOUNT, region: 'us-east-1', stackName: `Fleapo-${env}` });
let templates: Record<string, Template>;
const trail = new FakeCloudTrail(ACCOUNT, 'us-east-1');

beforeAll(() => {
  templates = synthesizeApp();
});

/** A CloudTrail record as EventBridge delivers it (detail-type "AWS API Call via CloudTrail"). */
function viaEventBridge(detail: object) {
  return {
    version: '0',
    id: 'e1',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.secretsmanager',
    account: ACCOUNT,
    time: '2026-12-02T05:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

test('the matcher follows EventBridge semantics (documented examples)', () => {
  const event = { source: 'aws.ec2', detail: { state: 'running', ids: ['a-1', 'b-2'], n: 5, nested: [{ k: 'x' }, { k: 'y' }] } };
  expect(matchesEventPattern({ source: ['aws.ec2'] }, event)).toBe(true);
  expect(matchesEventPattern({ detail: { ids: [{ prefix: 'b-' }] } }, event)).toBe(true); // any element of an array
  expect(matchesEventPattern({ detail: { state: [{ 'anything-but': ['running', 'stopped'] }] } }, event)).toBe(false);
  expect(matchesEventPattern({ detail: { missing: [{ 'anything-but': ['x'] }] } }, event)).toBe(false); // absent: no match
  expect(matchesEventPattern({ detail: { missing: [{ exists: false }] } }, event)).toBe(true);
  expect(matchesEventPattern({ detail: { state: [{ exists: true }] } }, event)).toBe(true);
  expect(matchesEventPattern({ detail: { nested: { k: ['y'] } } }, event)).toBe(true); // arrays of objects flattened
  expect(matchesEventPattern({ detail: { n: [{ numeric: ['>', 4, '<=', 5] }] } }, event)).toBe(true);
  expect(matchesEventPattern({ detail: { $or: [{ state: ['stopped'] }, { n: [5] }] } }, event)).toBe(true);
  expect(matchesEventPattern({ detail: { $or: [{ state: ['stopped'] }, { n: [6] }] } }, event)).toBe(false);
});

describe.each(['prod', 'staging'])('%s', (env) => {
  const other = env === 'prod' ? 'staging' : 'prod';
  const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
  const secretArn = (suffix: string) => `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:fleapo/${env}/${suffix}-AbC123`;
  const rule = () => {
    const template = templates[`Fleapo-${env}`];
    const found = Object.values(resourcesOfType(template, 'AWS::Events::Rule')).find(
      (r) => r.Properties.Name === `fleapo-${env}-unexpected-secret-reader`,
    )!;
    return resolveIntrinsics(found.Properties, physicalArns(template, at(env)), at(env));
  };

  test('the rule receives read-only management events and publishes to the alert topic', () => {
    const template = templates[`Fleapo-${env}`];
    const r = rule();
    expect(r.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    expect(r.Targets.map((t: { Arn: string }) => t.Arn)).toEqual([
      physicalArns(template, at(env))[logicalIdOf(template, 'AWS::SNS::Topic', 'AlertsTopic')],
    ]);
  });

  test('the expected roles are exactly the roles of the stack that may read one of its secrets (IAM evaluation), plus none else', async () => {
    const template = templates[`Fleapo-${env}`];
    const pattern = rule().EventPattern;
    const listed: string[] = pattern.detail.$or[1].userIdentity.sessionContext.sessionIssuer.arn[0]['anything-but'];
    const secrets = Object.entries(resourcesOfType(template, 'AWS::SecretsManager::Secret'))
      .filter(([, s]) => String(s.Properties.Name).startsWith(`fleapo/${env}/`))
      .map(([id]) => physicalArns(template, at(env))[id]);
    expect(secrets).toHaveLength(5);
    const readers: string[] = [];
    for (const [id, r] of Object.entries(resourcesOfType(template, 'AWS::IAM::Role'))) {
      const policies = rolePolicies(template, id, at(env));
      for (const secret of secrets) {
        const decision = await evaluate({
          principal: role(r.Properties.RoleName),
          action: 'secretsmanager:GetSecretValue',
          resource: secret,
          resourceAccount: ACCOUNT,
          identityPolicies: policies,
        });
        if (decision === 'Allowed') {
          readers.push(role(r.Properties.RoleName));
          break;
        }
      }
    }
    expect(readers.length).toBeGreaterThanOrEqual(5);
    // Every role that can read is expected; the expected ones beyond them only tag or describe (no false alarm either way).
    for (const reader of readers) expect(listed).toContain(reader);
    const roleNames = Object.values(resourcesOfType(template, 'AWS::IAM::Role')).map((r) => role(r.Properties.RoleName));
    for (const arn of listed) expect(roleNames).toContain(arn);
    expect(listed).toContain(role(`fleapo-${env}-ecs-execution`));
    expect(listed).not.toContain(role(`fleapo-${env}-ecs-task`));
  });

  test('the pattern reports exactly the unexpected reads of this environment’s secrets', () => {
    const pattern = rule().EventPattern;
    const alarms = (eventName: string, identity: Record<string, unknown>, params: Record<string, unknown>) =>
      matchesEventPattern(pattern, viaEventBridge(trail.record(eventName, identity, params, new Date())));
    const execution = trail.assumedRole(`fleapo-${env}-ecs-execution`, 'task-1', 'ecs-tasks.amazonaws.com');
    const rotation = trail.assumedRole(`fleapo-${env}-auth-secret-rotation`, `fleapo-${env}-auth-secret-rotation`);
    const retirement = trail.assumedRole(`fleapo-${env}-database-role-retirement`, 'x');
    // Expected readers, by name, full ARN or partial ARN: silent.
    for (const who of [execution, rotation, retirement]) {
      expect(alarms('GetSecretValue', who, { secretId: `fleapo/${env}/auth-secret` })).toBe(false);
      expect(alarms('GetSecretValue', who, { secretId: secretArn('database-url') })).toBe(false);
      expect(alarms('GetSecretValue', who, { secretId: secretArn('database-url').slice(0, -7) })).toBe(false);
    }
    // Anyone else: reported, whatever the form of the id.
    const others = [
      trail.iamUser('ci-bot'),
      { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT },
      trail.awsService('cloudformation.amazonaws.com'),
      trail.assumedRole(`fleapo-${env}-ecs-task`, 'task-1'), // the app's own role: it never reads a secret
      trail.assumedRole(`fleapo-${other}-ecs-execution`, 'task-2', 'ecs-tasks.amazonaws.com'), // the other environment's
      trail.assumedRole('AWSReservedSSO_AdministratorAccess_0123456789abcdef', 'bob'),
    ];
    for (const who of others) {
      expect(alarms('GetSecretValue', who, { secretId: `fleapo/${env}/stripe-secret-key` })).toBe(true);
      expect(alarms('GetSecretValue', who, { secretId: secretArn('auth-secret') })).toBe(true);
      expect(alarms('BatchGetSecretValue', who, { secretIdList: ['some/other', secretArn('posthog-api-key')] })).toBe(true);
      expect(alarms('BatchGetSecretValue', who, { filters: [{ key: 'name', values: ['fleapo'] }] })).toBe(true);
      // Not a read, or not this environment's secret: not this alarm's business.
      expect(alarms('DescribeSecret', who, { secretId: `fleapo/${env}/auth-secret` })).toBe(false);
      expect(alarms('GetSecretValue', who, { secretId: `fleapo/${other}/auth-secret` })).toBe(false);
      expect(alarms('GetSecretValue', who, { secretId: `fleapo/${env}-evil/auth-secret` })).toBe(false);
      expect(alarms('BatchGetSecretValue', who, { secretIdList: ['some/other'] })).toBe(false);
    }
  });
});
