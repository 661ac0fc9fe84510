import { SECRET_NAMES, SECRETS, type SecretName } from '../../catalog/secrets';
import { evaluate } from './iam-evaluator';
import { logicalIdOf, physicalArns, resolveIntrinsics, rolePolicies, type StackLocation } from './resolve-arns';
import { resourcesOfType, synthesizeApp, type Template } from './synthesized-app';

const ENVIRONMENTS = ['staging', 'prod'] as const;
const WHERE: StackLocation = { account: '111111111111', region: 'us-east-1' };
const at = (env: string): StackLocation => ({ ...WHERE, stackName: `Fleapo-${env}` });
let templates: Record<string, Template>;

beforeAll(() => {
  templates = synthesizeApp();
});

/** What the tests need to know of one environment's deployed resources. */
function environment(name: string) {
  const template = templates[`Fleapo-${name}`];
  const arns = physicalArns(template, at(name));
  const secretIds = Object.keys(resourcesOfType(template, 'AWS::SecretsManager::Secret'));
  const keyId = logicalIdOf(template, 'AWS::KMS::Key', 'SecretsKey');
  const executionRoleId = logicalIdOf(template, 'AWS::IAM::Role', 'AppExecutionRole');
  const taskRoleId = logicalIdOf(template, 'AWS::IAM::Role', 'AppTaskRole');
  return {
    template,
    secretArns: secretIds.map((id) => arns[id]),
    keyArn: arns[keyId],
    keyPolicy: resolveIntrinsics(template.Resources[keyId].Properties.KeyPolicy, arns, at(name)),
    executionRole: { arn: arns[executionRoleId], policies: rolePolicies(template, executionRoleId, at(name)) },
    taskRole: { arn: arns[taskRoleId], policies: rolePolicies(template, taskRoleId, at(name)) },
  };
}

describe.each(ENVIRONMENTS)('the %s environment', (name) => {
  const other = name === 'prod' ? 'staging' : 'prod';

  test('has exactly the five secrets, named fleapo/<env>/..., each encrypted with its own environment key', () => {
    const { template } = environment(name);
    const secrets = Object.values(resourcesOfType(template, 'AWS::SecretsManager::Secret'));
    expect(secrets.map((s) => s.Properties.Name).sort()).toEqual(SECRET_NAMES.map((s) => `fleapo/${name}/${SECRETS[s].suffix}`).sort());
    const keyId = logicalIdOf(template, 'AWS::KMS::Key', 'SecretsKey');
    for (const secret of secrets) expect(secret.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(template.Resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  test('retains its secrets and its key when the stack is deleted or they are replaced', () => {
    const { template } = environment(name);
    const kept = [
      ...Object.values(resourcesOfType(template, 'AWS::SecretsManager::Secret')),
      ...Object.values(resourcesOfType(template, 'AWS::KMS::Key')),
    ];
    expect(kept).toHaveLength(7); // five secrets, the secrets key, the alert topic key
    for (const resource of kept) {
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
    }
  });

  test('generates AUTH_SECRET as 128 lower-case hex characters and no secret value is in the template', () => {
    const { template } = environment(name);
    const auth = Object.values(resourcesOfType(template, 'AWS::SecretsManager::Secret')).find((s) =>
      s.Properties.Name.endsWith('/auth-secret'),
    )!;
    const generator = auth.Properties.GenerateSecretString;
    expect(generator.PasswordLength).toBe(128);
    // What remains of Secrets Manager's alphabet after the exclusions is exactly 0-9a-f.
    const alphabet = [...'abcdefghijklmnopqrstuvwxyz0123456789'].filter((c) => !generator.ExcludeCharacters.includes(c));
    expect(alphabet.join('')).toBe('abcdef0123456789');
    expect(generator.ExcludeUppercase).toBe(true);
    expect(generator.ExcludePunctuation).toBe(true);
    for (const secret of Object.values(resourcesOfType(template, 'AWS::SecretsManager::Secret'))) {
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString).toBeDefined();
    }
  });

  test('injects the five secrets through `secrets`, from its own environment, and nothing through `environment`', () => {
    const { template, secretArns } = environment(name);
    const [taskDefinition] = Object.values(resourcesOfType(template, 'AWS::ECS::TaskDefinition'));
    const [container] = taskDefinition.Properties.ContainerDefinitions;
    const arns = physicalArns(template, at(name));
    const injected = Object.fromEntries(container.Secrets.map((s: any) => [s.Name, resolveIntrinsics(s.ValueFrom, arns, WHERE)]));
    expect(Object.keys(injected).sort()).toEqual([...SECRET_NAMES].sort());
    expect(Object.values(injected).sort()).toEqual([...secretArns].sort());
    for (const [variable, arn] of Object.entries(injected)) {
      expect(arn).toContain(`:secret:fleapo/${name}/${SECRETS[variable as SecretName].suffix}-`);
    }
    expect(container.Environment).toBeUndefined();
  });

  test('its execution role may GetSecretValue on each of its five secrets', async () => {
    const env = environment(name);
    expect(env.secretArns).toHaveLength(5);
    for (const secret of env.secretArns) {
      await expect(
        evaluate({
          principal: env.executionRole.arn,
          identityPolicies: env.executionRole.policies,
          action: 'secretsmanager:GetSecretValue',
          resource: secret,
          resourceAccount: WHERE.account,
        }),
      ).resolves.toBe('Allowed');
    }
  });

  test(`its execution role may not read the ${other} secrets, other secrets, or describe or write its own`, async () => {
    const env = environment(name);
    const role = { principal: env.executionRole.arn, identityPolicies: env.executionRole.policies, resourceAccount: WHERE.account };
    const denied = [
      ...environment(other).secretArns.map((resource) => ({ action: 'secretsmanager:GetSecretValue', resource })),
      {
        action: 'secretsmanager:GetSecretValue',
        resource: `arn:aws:secretsmanager:us-east-1:111111111111:secret:fleapo/${name}/other-AbCdEf`,
      },
      {
        action: 'secretsmanager:GetSecretValue',
        resource: `arn:aws:secretsmanager:us-east-1:111111111111:secret:rds!cluster-${name}-AbCdEf`,
      },
      ...env.secretArns.flatMap((resource) => [
        { action: 'secretsmanager:DescribeSecret', resource },
        { action: 'secretsmanager:PutSecretValue', resource },
        { action: 'secretsmanager:UpdateSecretVersionStage', resource },
      ]),
    ];
    for (const request of denied) await expect(evaluate({ ...role, ...request })).resolves.toBe('ImplicitlyDenied');
  });

  test('its execution role may decrypt with its own key only through Secrets Manager, only for its secrets', async () => {
    const env = environment(name);
    const decrypt = (keyArn: string, keyPolicy: any, context: Record<string, string>) =>
      evaluate({
        principal: env.executionRole.arn,
        identityPolicies: env.executionRole.policies,
        resourcePolicy: keyPolicy,
        action: 'kms:Decrypt',
        resource: keyArn,
        resourceAccount: WHERE.account,
        context,
      });
    const viaSecretsManager = 'secretsmanager.us-east-1.amazonaws.com';
    for (const secret of env.secretArns) {
      await expect(
        decrypt(env.keyArn, env.keyPolicy, { 'kms:ViaService': viaSecretsManager, 'kms:EncryptionContext:SecretARN': secret }),
      ).resolves.toBe('Allowed');
    }
    const [own] = env.secretArns;
    // The key policy denies any use not through Secrets Manager (SecretAccessPolicies), whatever the role's policy says.
    await expect(decrypt(env.keyArn, env.keyPolicy, { 'kms:EncryptionContext:SecretARN': own })).resolves.toBe('ExplicitlyDenied');
    await expect(
      decrypt(env.keyArn, env.keyPolicy, { 'kms:ViaService': 's3.us-east-1.amazonaws.com', 'kms:EncryptionContext:SecretARN': own }),
    ).resolves.toBe('ExplicitlyDenied');
    const foreign = environment(other);
    await expect(
      decrypt(foreign.keyArn, foreign.keyPolicy, {
        'kms:ViaService': viaSecretsManager,
        'kms:EncryptionContext:SecretARN': foreign.secretArns[0],
      }),
    ).resolves.toBe('ExplicitlyDenied'); // not among the other key's readers
  });

  test('its task role (the app itself) can read no secret and decrypt nothing', async () => {
    const env = environment(name);
    for (const secret of [...env.secretArns, ...environment(other).secretArns]) {
      await expect(
        evaluate({
          principal: env.taskRole.arn,
          identityPolicies: env.taskRole.policies,
          action: 'secretsmanager:GetSecretValue',
          resource: secret,
          resourceAccount: WHERE.account,
        }),
      ).resolves.toBe('ImplicitlyDenied');
    }
    await expect(
      evaluate({
        principal: env.taskRole.arn,
        identityPolicies: env.taskRole.policies,
        resourcePolicy: env.keyPolicy,
        action: 'kms:Decrypt',
        resource: env.keyArn,
        resourceAccount: WHERE.account,
        context: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com', 'kms:EncryptionContext:SecretARN': env.secretArns[0] },
      }),
    ).resolves.toBe('ExplicitlyDenied'); // not among the key's readers (SecretAccessPolicies)
  });

  test('its execution role has nothing beyond secrets, image pull and logs', () => {
    const { executionRole } = environment(name);
    const actions = executionRole.policies.flatMap((doc) => doc.Statement.flatMap((s: any) => [s.Action].flat())).sort();
    expect(actions).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetAuthorizationToken',
      'ecr:GetDownloadUrlForLayer',
      'kms:Decrypt',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
    ]);
    const wildcard = executionRole.policies.flatMap((doc) => doc.Statement).filter((s: any) => [s.Resource].flat().includes('*'));
    expect(wildcard.map((s: any) => s.Action)).toEqual(['ecr:GetAuthorizationToken']);
  });

  test('runs the task definition as a service in the configured cluster and private subnets, rolling without downtime', () => {
    const { template } = environment(name);
    const [service] = Object.values(resourcesOfType(template, 'AWS::ECS::Service'));
    expect(service.Properties.Cluster).toBe(`fleapo-${name}`);
    expect(service.Properties.ServiceName).toBe('fleapo-web');
    expect(service.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    expect(service.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets.every((s: string) => s.startsWith('subnet-'))).toBe(true);
    expect(service.Properties.DeploymentConfiguration).toMatchObject({
      MinimumHealthyPercent: 100,
      MaximumPercent: 200,
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
    });
  });
});
