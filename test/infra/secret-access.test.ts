import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { EXAMPLE_CONFIG } from '../../lib/config/example-config';
import { mergeConfig } from '../../lib/config/load-config';
import { validateConfig } from '../../lib/config/validate-config';
import { trustedPrincipals } from '../../lib/constructs/operator-roles';
import { SECRETS, SECRET_NAMES, type SecretName } from '../../catalog/secrets';
import {
  CONTAIN_TAG_KEYS,
  REFUSAL_TAG_KEYS,
  ROLLOUT_TAG_KEYS,
  TAG_CONTAIN_REVOKED,
  TAG_CONTAIN_STARTED,
  TAG_CONTAIN_VERSION,
  TAG_DATABASE_ROLE,
  TAG_PENDING,
  TAG_REKEY_REQUESTED,
  TAG_REKEYED_VERSION,
  TAG_RETIRED_DEPLOYMENT,
  TAG_REVOKE_NOTICE_VERSION,
} from '../../catalog/tags';
import { evaluate, type Decision } from './iam-evaluator';
import { logicalIdOf, physicalArns, resolveIntrinsics, rolePolicies, trustPolicy, type StackLocation } from './resolve-arns';
import { resourcesOfType, synthesizeApp, type Template } from './synthesized-app';

/**
 * Who can read, write, re-label and tag each secret, evaluated with an IAM policy engine against the synthesized
 * policies: the caller's identity policies (and boundary), the secret's resource policy and the key's policy.
 * docs/who-can-change-a-secret.md describes the same table.
 */

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const ENVS = ['staging', 'prod'] as const;
type Env = (typeof ENVS)[number];
const breakGlassArn = (env: Env) => `arn:aws:iam::${ACCOUNT}:role/fleapo-break-glass-${env}`;
const SSO_OPERATOR: Record<Env, string> = {
  staging: 'arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_FleapoStagingOperator_0123456789abcdef',
  prod: 'arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_FleapoProdOperator_fedcba9876543210',
};
/** AdministratorAccess. */
const ADMIN_POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const EXTERNAL: SecretName[] = ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'POSTHOG_API_KEY'];
const GENERATED: SecretName[] = ['AUTH_SECRET', 'DATABASE_URL'];
const ROTATION_ROLE: Record<SecretName, string> = {
  AUTH_SECRET: 'auth-secret-rotation',
  DATABASE_URL: 'database-url-rotation',
  STRIPE_SECRET_KEY: 'stripe-secret-key-rotation',
  STRIPE_WEBHOOK_SECRET: 'stripe-webhook-secret-rotation',
  POSTHOG_API_KEY: 'posthog-api-key-rotation',
};

let templates: Record<string, Template>;
beforeAll(() => {
  const withBreakGlass = { environments: Object.fromEntries(ENVS.map((env) => [env, { breakGlassRoleArn: breakGlassArn(env) }])) };
  templates = synthesizeApp({ config: validateConfig(mergeConfig(EXAMPLE_CONFIG, withBreakGlass)) });
}, 180_000);

/** A caller as IAM sees it. */
interface Who {
  readonly principal: string;
  readonly identityPolicies: any[];
  readonly permissionBoundaries?: any[];
}

/** Any principal of the account with AdministratorAccess (an account administrator, a compromised CI job with admin). */
const admin = (arn = `arn:aws:iam::${ACCOUNT}:role/Administrator`): Who => ({ principal: arn, identityPolicies: [ADMIN_POLICY] });

function environment(env: Env) {
  const where: StackLocation = { account: ACCOUNT, region: REGION, stackName: `Fleapo-${env}` };
  const template = templates[`Fleapo-${env}`];
  const arns = physicalArns(template, where);
  const resolve = (v: unknown) => resolveIntrinsics(v, arns, where);
  const oidc = templates[`FleapoGithubOidc-${ACCOUNT}`];
  const boundaryResource = Object.values(resourcesOfType(oidc, 'AWS::IAM::ManagedPolicy')).find(
    (r) => r.Properties.ManagedPolicyName === `fleapo-${env}-boundary`,
  )!;
  const boundary = resolveIntrinsics(boundaryResource.Properties.PolicyDocument, physicalArns(oidc, where), where);
  const secretId = (name: SecretName) =>
    Object.entries(resourcesOfType(template, 'AWS::SecretsManager::Secret')).find(
      ([, r]) => r.Properties.Name === `fleapo/${env}/${SECRETS[name].suffix}`,
    )![0];
  const roleId = (roleName: string) =>
    Object.entries(resourcesOfType(template, 'AWS::IAM::Role')).find(([, r]) => r.Properties.RoleName === roleName)?.[0];
  const keyId = logicalIdOf(template, 'AWS::KMS::Key', 'SecretsKey');
  return {
    name: env,
    template,
    arns,
    secretArn: (name: SecretName) => arns[secretId(name)],
    secretPolicy: (name: SecretName) => {
      const policies = Object.values(resourcesOfType(template, 'AWS::SecretsManager::ResourcePolicy')).filter(
        (r) => r.Properties.SecretId.Ref === secretId(name),
      );
      expect(policies).toHaveLength(1);
      expect(policies[0].Properties.BlockPublicPolicy).toBe(true);
      return resolve(policies[0].Properties.ResourcePolicy);
    },
    keyArn: arns[keyId],
    keyPolicy: resolve(template.Resources[keyId].Properties.KeyPolicy),
    functionArn: (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:fleapo-${env}-${name}`,
    serviceArn: arns[logicalIdOf(template, 'AWS::ECS::Service', 'AppService')],
    cluster: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/fleapo-${env}`,
    roleId,
    /** One of the stack's roles (`fleapo-<env>-<name>`) with its policies, within the environment's boundary. */
    own: (name: string): Who => {
      const id = roleId(`fleapo-${env}-${name}`);
      if (!id) throw new Error(`no role fleapo-${env}-${name}`);
      expect(resolve(template.Resources[id].Properties.PermissionsBoundary)).toBe(`arn:aws:iam::${ACCOUNT}:policy/fleapo-${env}-boundary`);
      return { principal: arns[id], identityPolicies: rolePolicies(template, id, where), permissionBoundaries: [boundary] };
    },
  };
}
type Environment = ReturnType<typeof environment>;

/** The CloudFormation execution role of the environment's bootstrap (the deployer), here with AdministratorAccess. */
const deployer = (env: Env): Who =>
  admin(`arn:aws:iam::${ACCOUNT}:role/cdk-${env === 'prod' ? 'fleapoprod' : 'fleapostg'}-cfn-exec-role-${ACCOUNT}-${REGION}`);

type Operation = 'read' | 'write' | 'relabel-current' | 'relabel-pending' | 'relabel-staged' | 'describe' | 'rotate' | 'configure';

/** One request as IAM evaluates it. */
interface Request {
  readonly action: string;
  readonly resource: string;
  readonly resourcePolicy?: any;
  readonly context?: Record<string, string | string[]>;
}

/**
 * Request builders for secret `name` of environment `e`: a call on the secret (its resource policy applies), and a KMS
 * call Secrets Manager makes on the environment's key for it with the caller's identity (the key policy applies).
 */
function requestsOn(e: Environment, name: SecretName) {
  const secret = e.secretArn(name);
  const onSecret = (action: string, context: Record<string, string | string[]> = {}): Request => ({
    action,
    resource: secret,
    resourcePolicy: e.secretPolicy(name),
    context,
  });
  const onKey = (action: string): Request => ({
    action,
    resource: e.keyArn,
    resourcePolicy: e.keyPolicy,
    context: {
      'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com`,
      'kms:EncryptionContext:SecretARN': secret,
      // The key carries its environment's tag (the boundary allows only keys tagged for the environment).
      'aws:ResourceTag/fleapo:environment': e.name,
    },
  });
  return { onSecret, onKey };
}

/**
 * Every request one operation on `name` of environment `e` makes (through Secrets Manager, whose KMS calls carry the
 * caller's identity): the outcome is the first that is not allowed, or Allowed.
 */
async function attempt(who: Who, e: Environment, name: SecretName, operation: Operation | { tag: string } | { untag: string }) {
  const { onSecret, onKey } = requestsOn(e, name);
  let requests: Request[];
  if (typeof operation === 'object') {
    const [action, key] =
      'tag' in operation ? ['secretsmanager:TagResource', operation.tag] : ['secretsmanager:UntagResource', operation.untag];
    requests = [onSecret(action, { 'aws:TagKeys': [key], ...('tag' in operation ? { [`aws:RequestTag/${key}`]: 'x' } : {}) })];
  } else {
    switch (operation) {
      case 'read':
        requests = [onSecret('secretsmanager:GetSecretValue'), onKey('kms:Decrypt')];
        break;
      case 'write':
        requests = [onSecret('secretsmanager:PutSecretValue'), onKey('kms:GenerateDataKey'), onKey('kms:Decrypt')];
        break;
      case 'relabel-current':
        requests = [onSecret('secretsmanager:UpdateSecretVersionStage', { 'secretsmanager:VersionStage': 'AWSCURRENT' })];
        break;
      case 'relabel-pending':
        requests = [onSecret('secretsmanager:UpdateSecretVersionStage', { 'secretsmanager:VersionStage': 'AWSPENDING' })];
        break;
      case 'relabel-staged':
        requests = [onSecret('secretsmanager:UpdateSecretVersionStage', { 'secretsmanager:VersionStage': 'FLEAPO_STAGED' })];
        break;
      case 'describe':
        requests = [onSecret('secretsmanager:DescribeSecret'), onSecret('secretsmanager:ListSecretVersionIds')];
        break;
      case 'rotate':
        requests = [
          onSecret('secretsmanager:RotateSecret', { 'secretsmanager:ModifyRotationRules': 'false' }),
          { action: 'lambda:InvokeFunction', resource: e.functionArn(ROTATION_ROLE[name]) },
        ];
        break;
      case 'configure':
        requests = [
          onSecret('secretsmanager:PutResourcePolicy', { 'secretsmanager:BlockPublicPolicy': 'true' }),
          onSecret('secretsmanager:DeleteResourcePolicy'),
          onSecret('secretsmanager:UpdateSecret'),
          onSecret('secretsmanager:DeleteSecret'),
          onSecret('secretsmanager:ReplicateSecretToRegions'),
          onSecret('secretsmanager:RotateSecret', {
            'secretsmanager:ModifyRotationRules': 'true',
            'secretsmanager:RotationLambdaARN': e.functionArn(ROTATION_ROLE[name]),
          }),
        ];
        break;
    }
  }
  for (const r of requests) {
    const d: Decision = await evaluate({ ...who, resourceAccount: ACCOUNT, ...r });
    if (d !== 'Allowed') return `${r.action}: ${d}`;
  }
  return 'Allowed';
}

/** `attempt` as `"<operation> <secret>: <outcome>"`, for readable failures. */
async function outcome(who: Who, e: Environment, name: SecretName, operation: Parameters<typeof attempt>[3]) {
  const what = typeof operation === 'object' ? JSON.stringify(operation) : operation;
  return `${what} ${name}: ${await attempt(who, e, name, operation)}`;
}
const allowed = (name: SecretName, operation: Parameters<typeof attempt>[3]) =>
  `${typeof operation === 'object' ? JSON.stringify(operation) : operation} ${name}: Allowed`;

/** Every fleapo tag key, each with the principals (role names below `fleapo-<env>-`) that may write it on `name`. */
function tagWriters(name: SecretName): Record<string, string[]> {
  const writers: Record<string, string[]> = {};
  for (const key of [...ROLLOUT_TAG_KEYS, ...REFUSAL_TAG_KEYS, TAG_PENDING]) writers[key] = [ROTATION_ROLE[name]];
  // The rollout record and the containment record: operator-rotate's too, on every secret (roll-current, contain).
  for (const key of ROLLOUT_TAG_KEYS) writers[key].push('operator-rotate');
  for (const key of CONTAIN_TAG_KEYS) writers[key] = ['operator-rotate'];
  writers[TAG_REKEYED_VERSION] = name === 'AUTH_SECRET' ? ['auth-secret-rotation'] : [];
  writers[TAG_DATABASE_ROLE] = name === 'DATABASE_URL' ? ['database-url-rotation'] : [];
  writers[TAG_RETIRED_DEPLOYMENT] = name === 'DATABASE_URL' ? ['database-role-retirement'] : [];
  writers[TAG_REVOKE_NOTICE_VERSION] = ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'].includes(name) ? ['stripe-revoke-notice'] : [];
  writers['fleapo:not-in-the-catalog'] = [];
  return writers;
}

/**
 * Every request `fleapo-secrets contain --all` makes (lib/cli/commands/contain.ts), the KMS calls Secrets Manager makes
 * with the caller's identity included: `writes` when it changes something.
 */
function containCalls(e: Environment): { what: string; writes: boolean; request: Request }[] {
  const calls: { what: string; writes: boolean; request: Request }[] = [];
  const add = (what: string, writes: boolean, request: Request) => calls.push({ what, writes, request });
  const tagging = (keys: string[]) => ({ 'aws:TagKeys': keys, ...Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, 'x'])) });
  for (const name of SECRET_NAMES) {
    const { onSecret, onKey } = requestsOn(e, name);
    // 1. where it stands; following the rotation (DescribeSecret, the versions' CreatedDate)
    add(`${name} DescribeSecret`, false, onSecret('secretsmanager:DescribeSecret'));
    add(`${name} ListSecretVersionIds`, false, onSecret('secretsmanager:ListSecretVersionIds'));
    // --abandon-incomplete: RemoveFromVersionId of AWSPENDING (an incomplete or the containment's refused rotation)
    add(
      `${name} UpdateSecretVersionStage AWSPENDING`,
      true,
      onSecret('secretsmanager:UpdateSecretVersionStage', { 'secretsmanager:VersionStage': 'AWSPENDING' }),
    );
    // 3. the containment record (and the re-key request on AUTH_SECRET), in one TagResource
    const record = [TAG_CONTAIN_STARTED, TAG_CONTAIN_VERSION, ...(name === 'AUTH_SECRET' ? [TAG_REKEY_REQUESTED] : [])];
    add(`${name} TagResource ${record.join(',')}`, true, onSecret('secretsmanager:TagResource', tagging(record)));
    if (EXTERNAL.includes(name)) {
      add(`${name} PutSecretValue`, true, onSecret('secretsmanager:PutSecretValue'));
      add(`${name} kms:GenerateDataKey`, true, onKey('kms:GenerateDataKey'));
      add(`${name} kms:Decrypt`, true, onKey('kms:Decrypt'));
      // --revoked on a continued run
      add(`${name} TagResource ${TAG_CONTAIN_REVOKED}`, true, onSecret('secretsmanager:TagResource', tagging([TAG_CONTAIN_REVOKED])));
    }
    // RotateSecret with the run's own ClientRequestToken (no rotation rules, no function named), which invokes the function
    add(`${name} RotateSecret`, true, onSecret('secretsmanager:RotateSecret', { 'secretsmanager:ModifyRotationRules': 'false' }));
    add(`${name} lambda:InvokeFunction (rotation)`, true, {
      action: 'lambda:InvokeFunction',
      resource: e.functionArn(ROTATION_ROLE[name]),
    });
    // 4. the rollout record of the one forced deployment
    add(`${name} TagResource rollout record`, true, onSecret('secretsmanager:TagResource', tagging(ROLLOUT_TAG_KEYS)));
  }
  // DATABASE_URL: the retirement with the contain input (before the rotation, and once the rollout is complete)
  add('lambda:InvokeFunction (retirement)', true, { action: 'lambda:InvokeFunction', resource: e.functionArn('database-role-retirement') });
  const inCluster = { 'ecs:cluster': e.cluster };
  add('ecs:DescribeServices', false, { action: 'ecs:DescribeServices', resource: e.serviceArn, context: inCluster });
  add('ecs:ListTasks', false, { action: 'ecs:ListTasks', resource: '*', context: inCluster });
  add('ecs:DescribeTasks', false, {
    action: 'ecs:DescribeTasks',
    resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/fleapo-${e.name}/0123456789abcdef`,
    context: inCluster,
  });
  add('ecs:UpdateService (forced deployment)', true, { action: 'ecs:UpdateService', resource: e.serviceArn, context: inCluster });
  return calls;
}

describe.each(ENVS)('%s', (env) => {
  const other: Env = env === 'prod' ? 'staging' : 'prod';

  test('an account administrator without the break-glass role can neither read, write, re-label, tag nor reconfigure any secret', async () => {
    const e = environment(env);
    const who = admin();
    for (const name of SECRET_NAMES) {
      for (const op of ['read', 'write', 'relabel-current', 'relabel-pending', 'relabel-staged', 'configure'] as const) {
        await expect(outcome(who, e, name, op)).resolves.toMatch(/ExplicitlyDenied$/);
      }
      for (const key of Object.keys(tagWriters(name))) {
        await expect(outcome(who, e, name, { tag: key })).resolves.toMatch(/ExplicitlyDenied$/);
        await expect(outcome(who, e, name, { untag: key })).resolves.toMatch(/ExplicitlyDenied$/);
      }
      // Reading the metadata (no value) stays an administrator's, and so do tags that are not the project's.
      await expect(outcome(who, e, name, 'describe')).resolves.toBe(allowed(name, 'describe'));
      await expect(outcome(who, e, name, { tag: 'team' })).resolves.toBe(allowed(name, { tag: 'team' }));
    }
    // Nor directly with the key, with or without an encryption context.
    for (const action of ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt', 'kms:ReEncryptFrom']) {
      const d = await evaluate({
        ...who,
        action,
        resource: e.keyArn,
        resourceAccount: ACCOUNT,
        resourcePolicy: e.keyPolicy,
        context: { 'kms:EncryptionContext:SecretARN': e.secretArn('AUTH_SECRET') },
      });
      expect(`${action}: ${d}`).toBe(`${action}: ExplicitlyDenied`);
    }
    for (const action of ['kms:PutKeyPolicy', 'kms:CreateGrant', 'kms:ScheduleKeyDeletion', 'kms:DisableKey']) {
      const d = await evaluate({ ...who, action, resource: e.keyArn, resourceAccount: ACCOUNT, resourcePolicy: e.keyPolicy });
      expect(`${action}: ${d}`).toBe(`${action}: ExplicitlyDenied`);
    }
  });

  test("the break-glass role (with AdministratorAccess) has every value path of its environment's secrets, no configuration, nothing of the other environment", async () => {
    const e = environment(env);
    const glass = admin(breakGlassArn(env));
    for (const name of SECRET_NAMES) {
      for (const op of ['read', 'write', 'relabel-current', 'relabel-pending', 'describe', 'rotate'] as const) {
        await expect(outcome(glass, e, name, op)).resolves.toBe(allowed(name, op));
      }
      for (const key of Object.keys(tagWriters(name))) {
        await expect(outcome(glass, e, name, { tag: key })).resolves.toBe(allowed(name, { tag: key }));
      }
      await expect(outcome(glass, e, name, 'configure')).resolves.toMatch(/ExplicitlyDenied$/);
      const theirs = environment(other);
      for (const op of ['read', 'write', 'relabel-current'] as const) {
        await expect(outcome(glass, theirs, name, op)).resolves.toMatch(/ExplicitlyDenied$/);
      }
    }
  });

  test('the deployer (CloudFormation execution role) manages each secret and the key, and reads, writes, re-labels and tags no value', async () => {
    const e = environment(env);
    const cfn = deployer(env);
    for (const name of SECRET_NAMES) {
      await expect(outcome(cfn, e, name, 'configure')).resolves.toBe(allowed(name, 'configure'));
      for (const op of ['read', 'write', 'relabel-current', 'relabel-pending'] as const) {
        await expect(outcome(cfn, e, name, op)).resolves.toMatch(/ExplicitlyDenied$/);
      }
      await expect(outcome(cfn, e, name, { tag: ROLLOUT_TAG_KEYS[0] })).resolves.toMatch(/ExplicitlyDenied$/);
      // Never a policy Secrets Manager would not check for broad access, never another rotation function.
      const put = await evaluate({
        ...cfn,
        action: 'secretsmanager:PutResourcePolicy',
        resource: e.secretArn(name),
        resourceAccount: ACCOUNT,
        resourcePolicy: e.secretPolicy(name),
        context: { 'secretsmanager:BlockPublicPolicy': 'false' },
      });
      expect(put).toBe('ExplicitlyDenied');
      const foreignFunction = await evaluate({
        ...cfn,
        action: 'secretsmanager:RotateSecret',
        resource: e.secretArn(name),
        resourceAccount: ACCOUNT,
        resourcePolicy: e.secretPolicy(name),
        context: { 'secretsmanager:RotationLambdaARN': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:exfiltrate` },
      });
      expect(foreignFunction).toBe('ExplicitlyDenied');
    }
    for (const action of ['kms:PutKeyPolicy', 'kms:EnableKeyRotation', 'kms:TagResource']) {
      const d = await evaluate({ ...cfn, action, resource: e.keyArn, resourceAccount: ACCOUNT, resourcePolicy: e.keyPolicy });
      expect(`${action}: ${d}`).toBe(`${action}: Allowed`);
    }
    // The other environment's deployer is nobody here.
    await expect(outcome(deployer(other), e, 'AUTH_SECRET', 'configure')).resolves.toMatch(/ExplicitlyDenied$/);
  });

  test('the ECS execution role reads the five values and writes, re-labels and tags none', async () => {
    const e = environment(env);
    const exec = e.own('ecs-execution');
    for (const name of SECRET_NAMES) {
      await expect(outcome(exec, e, name, 'read')).resolves.toBe(allowed(name, 'read'));
      for (const op of ['write', 'relabel-current', 'relabel-pending'] as const) {
        await expect(outcome(exec, e, name, op)).resolves.not.toBe(allowed(name, op));
      }
      await expect(outcome(exec, e, name, { tag: ROLLOUT_TAG_KEYS[0] })).resolves.not.toBe(allowed(name, { tag: ROLLOUT_TAG_KEYS[0] }));
    }
    // Even with AdministratorAccess attached, its credentials write nothing.
    const escalated = { ...exec, identityPolicies: [...exec.identityPolicies, ADMIN_POLICY], permissionBoundaries: undefined };
    for (const name of SECRET_NAMES) await expect(outcome(escalated, e, name, 'write')).resolves.toMatch(/ExplicitlyDenied$/);
  });

  test('each rotation function reads, writes, re-labels and keeps the records of its own secret only', async () => {
    const e = environment(env);
    for (const name of SECRET_NAMES) {
      const fn = e.own(ROTATION_ROLE[name]);
      for (const op of ['read', 'write', 'relabel-current', 'relabel-pending'] as const) {
        await expect(outcome(fn, e, name, op)).resolves.toBe(allowed(name, op));
      }
      for (const [key, writers] of Object.entries(tagWriters(name))) {
        const expected = writers.includes(ROTATION_ROLE[name]) ? allowed(name, { tag: key }) : expect.stringMatching(/Denied$/);
        await expect(outcome(fn, e, name, { tag: key })).resolves.toEqual(expected);
      }
      // With AdministratorAccess attached (a widened role), still nothing of another secret: the resource policies deny it.
      const escalated = { ...fn, identityPolicies: [...fn.identityPolicies, ADMIN_POLICY], permissionBoundaries: undefined };
      for (const otherName of SECRET_NAMES.filter((n) => n !== name)) {
        for (const op of ['read', 'write', 'relabel-current'] as const) {
          await expect(outcome(escalated, e, otherName, op)).resolves.toMatch(/ExplicitlyDenied$/);
        }
      }
    }
  });

  test('the database role retirement reads DATABASE_URL and records its retirement; the revoke notice records its notice and reads nothing', async () => {
    const e = environment(env);
    const retirement = e.own('database-role-retirement');
    await expect(outcome(retirement, e, 'DATABASE_URL', 'read')).resolves.toBe(allowed('DATABASE_URL', 'read'));
    await expect(outcome(retirement, e, 'DATABASE_URL', { tag: TAG_RETIRED_DEPLOYMENT })).resolves.toBe(
      allowed('DATABASE_URL', { tag: TAG_RETIRED_DEPLOYMENT }),
    );
    for (const op of ['write', 'relabel-current', 'relabel-pending'] as const) {
      await expect(outcome(retirement, e, 'DATABASE_URL', op)).resolves.toMatch(/Denied$/);
    }
    for (const key of ROLLOUT_TAG_KEYS) await expect(outcome(retirement, e, 'DATABASE_URL', { tag: key })).resolves.toMatch(/Denied$/);
    for (const name of SECRET_NAMES.filter((n) => n !== 'DATABASE_URL')) {
      await expect(outcome(retirement, e, name, 'read')).resolves.toMatch(/Denied$/);
    }

    const notice = e.own('stripe-revoke-notice');
    for (const name of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as SecretName[]) {
      await expect(outcome(notice, e, name, { tag: TAG_REVOKE_NOTICE_VERSION })).resolves.toBe(
        allowed(name, { tag: TAG_REVOKE_NOTICE_VERSION }),
      );
    }
    for (const name of SECRET_NAMES) {
      await expect(outcome(notice, e, name, 'read')).resolves.toMatch(/Denied$/);
      for (const key of ROLLOUT_TAG_KEYS) await expect(outcome(notice, e, name, { tag: key })).resolves.toMatch(/Denied$/);
    }
  });

  test('operator-read: what status reads and CloudTrail lookups; no value, no write, no tag, no rotation, even with AdministratorAccess attached', async () => {
    const e = environment(env);
    const reader = e.own('operator-read');
    for (const name of SECRET_NAMES) {
      await expect(outcome(reader, e, name, 'describe')).resolves.toBe(allowed(name, 'describe'));
      for (const op of ['read', 'write', 'relabel-pending', 'rotate'] as const) {
        await expect(outcome(reader, e, name, op)).resolves.toMatch(/Denied$/);
      }
      await expect(outcome(reader, e, name, { tag: ROLLOUT_TAG_KEYS[0] })).resolves.toMatch(/Denied$/);
    }
    const ecs = async (action: string, resource: string) =>
      evaluate({ ...reader, action, resource, resourceAccount: ACCOUNT, context: { 'ecs:cluster': e.cluster } });
    await expect(ecs('ecs:DescribeServices', e.serviceArn)).resolves.toBe('Allowed');
    await expect(ecs('ecs:UpdateService', e.serviceArn)).resolves.toBe('ImplicitlyDenied');
    await expect(ecs('ecs:ListTasks', '*')).resolves.toBe('Allowed');
    await expect(ecs('ecs:DescribeTasks', `arn:aws:ecs:${REGION}:${ACCOUNT}:task/fleapo-${env}/0123456789abcdef`)).resolves.toBe('Allowed');
    await expect(evaluate({ ...reader, action: 'cloudtrail:LookupEvents', resource: '*', resourceAccount: ACCOUNT })).resolves.toBe(
      'Allowed',
    );
    const escalated = { ...reader, identityPolicies: [...reader.identityPolicies, ADMIN_POLICY], permissionBoundaries: undefined };
    for (const name of SECRET_NAMES) await expect(outcome(escalated, e, name, 'read')).resolves.toMatch(/ExplicitlyDenied$/);
  });

  test('operator-rotate: exactly what stage, rotate, roll-current and contain call; never a value, never the pending marker, never AWSCURRENT', async () => {
    const e = environment(env);
    const op = e.own('operator-rotate');
    for (const name of SECRET_NAMES) {
      // rotate (and status, and following the rotation) on every secret
      await expect(outcome(op, e, name, 'describe')).resolves.toBe(allowed(name, 'describe'));
      await expect(outcome(op, e, name, 'rotate')).resolves.toBe(allowed(name, 'rotate'));
      // --abandon-incomplete, roll-current and contain: move or remove AWSPENDING, on every secret
      await expect(outcome(op, e, name, 'relabel-pending')).resolves.toBe(allowed(name, 'relabel-pending'));
      // no value, ever: stage and contain read the new value from stdin, roll-current reads none
      await expect(outcome(op, e, name, 'read')).resolves.toMatch(/Denied$/);
      // AWSCURRENT moves only through the rotation function; the staged label only through PutSecretValue
      await expect(outcome(op, e, name, 'relabel-current')).resolves.toMatch(/Denied$/);
      await expect(outcome(op, e, name, 'relabel-staged')).resolves.toMatch(/Denied$/);
      // exactly the rollout and containment records among the project's tag keys: never the pending marker
      for (const [key, writers] of Object.entries(tagWriters(name))) {
        const expected = writers.includes('operator-rotate') ? allowed(name, { tag: key }) : expect.stringMatching(/Denied$/);
        await expect(outcome(op, e, name, { tag: key })).resolves.toEqual(expected);
        await expect(outcome(op, e, name, { untag: key })).resolves.toMatch(/Denied$/);
      }
      await expect(outcome(op, e, name, 'configure')).resolves.toMatch(/Denied$/);
    }
    // stage and contain: PutSecretValue (FLEAPO_STAGED) with the key through Secrets Manager, issuer-created secrets only
    for (const name of EXTERNAL) await expect(outcome(op, e, name, 'write')).resolves.toBe(allowed(name, 'write'));
    // A generated secret's value is its rotation function's alone (break-glass otherwise).
    for (const name of GENERATED) await expect(outcome(op, e, name, 'write')).resolves.toMatch(/Denied$/);
    // roll-current's and contain's forced deployment and the rollout reads
    const ecs = (action: string, resource: string) =>
      evaluate({ ...op, action, resource, resourceAccount: ACCOUNT, context: { 'ecs:cluster': e.cluster } });
    await expect(ecs('ecs:UpdateService', e.serviceArn)).resolves.toBe('Allowed');
    await expect(ecs('ecs:DescribeServices', e.serviceArn)).resolves.toBe('Allowed');
    await expect(ecs('ecs:ListTasks', '*')).resolves.toBe('Allowed');
    await expect(ecs('ecs:DescribeTasks', `arn:aws:ecs:${REGION}:${ACCOUNT}:task/fleapo-${env}/0123456789abcdef`)).resolves.toBe('Allowed');
    await expect(ecs('ecs:UpdateService', environment(other).serviceArn)).resolves.not.toBe('Allowed');
    // Lambda: the five rotation functions (RotateSecret) and the retirement (contain DATABASE_URL), no other function.
    const invoke = (arn: string) => evaluate({ ...op, action: 'lambda:InvokeFunction', resource: arn, resourceAccount: ACCOUNT });
    await expect(invoke(e.functionArn('database-role-retirement'))).resolves.toBe('Allowed');
    await expect(invoke(e.functionArn('stripe-revoke-notice'))).resolves.not.toBe('Allowed');
    await expect(invoke(environment(other).functionArn('database-role-retirement'))).resolves.not.toBe('Allowed');
    // With AdministratorAccess attached, still no value, no AWSCURRENT move, no pending marker, no generated value.
    const escalated = { ...op, identityPolicies: [...op.identityPolicies, ADMIN_POLICY], permissionBoundaries: undefined };
    for (const name of SECRET_NAMES) {
      await expect(outcome(escalated, e, name, 'read')).resolves.toMatch(/ExplicitlyDenied$/);
      await expect(outcome(escalated, e, name, 'relabel-current')).resolves.toMatch(/ExplicitlyDenied$/);
      await expect(outcome(escalated, e, name, 'relabel-staged')).resolves.toMatch(/ExplicitlyDenied$/);
      await expect(outcome(escalated, e, name, { tag: TAG_PENDING })).resolves.toMatch(/ExplicitlyDenied$/);
      await expect(outcome(escalated, e, name, { untag: TAG_PENDING })).resolves.toMatch(/ExplicitlyDenied$/);
    }
    for (const name of GENERATED) await expect(outcome(escalated, e, name, 'write')).resolves.toMatch(/ExplicitlyDenied$/);
  });

  test('every AWS call of fleapo-secrets contain is allowed to operator-rotate, each of audit to operator-read, and neither to the other role', async () => {
    const e = environment(env);
    const rotate = e.own('operator-rotate');
    const read = e.own('operator-read');
    const calls = containCalls(e);
    expect(calls.length).toBeGreaterThan(SECRET_NAMES.length * 6);
    for (const call of calls) {
      await expect(evaluate({ ...rotate, resourceAccount: ACCOUNT, ...call.request }).then((d) => `${call.what}: ${d}`)).resolves.toBe(
        `${call.what}: Allowed`,
      );
    }
    // operator-read makes none of contain's writes (its reads, DescribeSecret and the ECS reads, are status's).
    for (const call of calls.filter((c) => c.writes)) {
      await expect(evaluate({ ...read, resourceAccount: ACCOUNT, ...call.request }).then((d) => `${call.what}: ${d}`)).resolves.toMatch(
        /Denied$/,
      );
    }
    // audit: CloudTrail's event history (no resource-level permission exists), operator-read's; operator-rotate's is not needed.
    const lookup = { action: 'cloudtrail:LookupEvents', resource: '*', resourceAccount: ACCOUNT };
    await expect(evaluate({ ...read, ...lookup })).resolves.toBe('Allowed');
    await expect(evaluate({ ...rotate, ...lookup })).resolves.not.toBe('Allowed');

    // An account administrator without break-glass can make none of contain's writes on the secrets.
    const who = admin();
    const guarded = calls.filter(
      (c) => c.writes && c.request.resourcePolicy !== undefined && c.request.action !== 'secretsmanager:RotateSecret',
    );
    expect(guarded.length).toBeGreaterThan(SECRET_NAMES.length * 3);
    for (const call of guarded) {
      await expect(evaluate({ ...who, resourceAccount: ACCOUNT, ...call.request }).then((d) => `${call.what}: ${d}`)).resolves.toBe(
        `${call.what}: ExplicitlyDenied`,
      );
    }
    // Nor can the other environment's operator-rotate, even with AdministratorAccess attached.
    const theirs = environment(other).own('operator-rotate');
    const escalated = { ...theirs, identityPolicies: [...theirs.identityPolicies, ADMIN_POLICY], permissionBoundaries: undefined };
    for (const call of calls.filter((c) => c.writes)) {
      await expect(evaluate({ ...theirs, resourceAccount: ACCOUNT, ...call.request }).then((d) => `${call.what}: ${d}`)).resolves.toMatch(
        /Denied$/,
      );
      if (guarded.includes(call)) {
        await expect(
          evaluate({ ...escalated, resourceAccount: ACCOUNT, ...call.request }).then((d) => `${call.what}: ${d}`),
        ).resolves.toMatch(/ExplicitlyDenied$/);
      }
    }
  });

  test(`${env}'s principals can neither read nor write a value of ${other}, even with AdministratorAccess attached`, async () => {
    const mine = environment(env);
    const theirs = environment(other);
    const principals = [
      'ecs-execution',
      ...SECRET_NAMES.map((n) => ROTATION_ROLE[n]),
      'database-role-retirement',
      'stripe-revoke-notice',
      'operator-read',
      'operator-rotate',
    ];
    for (const p of principals) {
      const who = mine.own(p);
      const escalated = { ...who, identityPolicies: [...who.identityPolicies, ADMIN_POLICY], permissionBoundaries: undefined };
      for (const name of SECRET_NAMES) {
        for (const op of ['read', 'write', 'relabel-pending'] as const) {
          await expect(outcome(who, theirs, name, op).then((o) => `${p}: ${o}`)).resolves.toMatch(/Denied$/);
          await expect(outcome(escalated, theirs, name, op).then((o) => `${p}: ${o}`)).resolves.toMatch(/ExplicitlyDenied$/);
        }
      }
    }
  });

  test(`only ${env}'s configured principals may assume its operator roles`, async () => {
    const e = environment(env);
    for (const kind of ['read', 'rotate']) {
      const id = e.roleId(`fleapo-${env}-operator-${kind}`)!;
      const trust = trustPolicy(e.template, id, { account: ACCOUNT, region: REGION, stackName: `Fleapo-${env}` });
      const assume = (principal: string) =>
        evaluate({
          principal,
          identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }],
          action: 'sts:AssumeRole',
          resource: e.arns[id],
          resourceAccount: ACCOUNT,
          resourcePolicy: trust,
        });
      await expect(assume(SSO_OPERATOR[env])).resolves.toBe('Allowed');
      await expect(assume(SSO_OPERATOR[other])).resolves.not.toBe('Allowed');
      await expect(assume(`arn:aws:iam::${ACCOUNT}:role/Administrator`)).resolves.not.toBe('Allowed');
      await expect(
        assume(`arn:aws:iam::999999999999:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_FleapoProdOperator_fedcba9876543210`),
      ).resolves.not.toBe('Allowed');
    }
  });
});

test('an IAM user is trusted only with MFA; roles (a role session carries no MFA flag) by their exact ARN', async () => {
  const user = 'arn:aws:iam::222222222222:user/alice';
  const role = 'arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Ops_0123456789abcdef';
  const stack = new Stack(new App(), 'Trust', { env: { account: ACCOUNT, region: REGION } });
  const [first, ...others] = trustedPrincipals([role, user]);
  const r = new iam.Role(stack, 'Operator', { assumedBy: first });
  for (const p of others) r.assumeRolePolicy!.addStatements(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [p] }));
  const trust = resolveIntrinsics(stack.resolve(r.assumeRolePolicy!.toJSON()), {}, { account: ACCOUNT, region: REGION });
  const assume = (principal: string, context: Record<string, string> = {}) =>
    evaluate({
      principal,
      identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }],
      action: 'sts:AssumeRole',
      resource: `arn:aws:iam::${ACCOUNT}:role/fleapo-prod-operator-rotate`,
      resourceAccount: ACCOUNT,
      resourcePolicy: trust,
      context,
    });
  await expect(assume(user, { 'aws:MultiFactorAuthPresent': 'true' })).resolves.toBe('Allowed');
  await expect(assume(user, { 'aws:MultiFactorAuthPresent': 'false' })).resolves.not.toBe('Allowed');
  await expect(assume(user)).resolves.not.toBe('Allowed');
  await expect(assume(role)).resolves.toBe('Allowed');
  await expect(
    assume('arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef'),
  ).resolves.not.toBe('Allowed');
  await expect(assume('arn:aws:iam::222222222222:user/mallory', { 'aws:MultiFactorAuthPresent': 'true' })).resolves.not.toBe('Allowed');
});

test('the operators configuration takes exact IAM role or user ARNs only', () => {
  const withOperators = (arns: unknown) => () =>
    validateConfig(mergeConfig(EXAMPLE_CONFIG, { environments: { prod: { operators: { trustedPrincipalArns: arns } } } }));
  expect(withOperators(['arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_X_0123'])).not.toThrow();
  expect(withOperators(['arn:aws:iam::111111111111:user/alice'])).not.toThrow();
  for (const bad of [
    ['arn:aws:iam::111111111111:role/*'],
    ['arn:aws:iam::111111111111:root'],
    ['*'],
    [],
    'arn:aws:iam::111111111111:role/x',
  ]) {
    expect(withOperators(bad)).toThrow(
      /environment "prod".operators: field "trustedPrincipalArns(\[\d\])?" must be (a list of at least 1 )?IAM role or user ARNs without wildcards/,
    );
  }
});

test('without an operators section there are no operator roles, and no secret policy names one', () => {
  const withoutOperators = { environments: Object.fromEntries(ENVS.map((env) => [env, { operators: null }])) };
  const synthesized = synthesizeApp({ config: validateConfig(mergeConfig(EXAMPLE_CONFIG, withoutOperators)) });
  for (const env of ENVS) {
    const template = synthesized[`Fleapo-${env}`];
    const roleNames = Object.values(resourcesOfType(template, 'AWS::IAM::Role')).map((r) => r.Properties.RoleName as string);
    expect(roleNames.filter((n) => n.includes('operator'))).toEqual([]);
    expect(roleNames).toContain(`fleapo-${env}-ecs-execution`);
    const policies = JSON.stringify(resourcesOfType(template, 'AWS::SecretsManager::ResourcePolicy'));
    expect(Object.keys(resourcesOfType(template, 'AWS::SecretsManager::ResourcePolicy'))).toHaveLength(SECRET_NAMES.length);
    expect(policies).not.toMatch(/Operators/);
  }
}, 180_000);
