import { isBrowserEnvName, isSecretDynamicReference, isSecretName } from '../secret-patterns';
import { EnvBinding, Finding, bindingLabel, stringLeaves } from '../model';

export const PLAIN_ENV_SECRET = 'FLEAPO-PLAIN-ENV-SECRET';

const FIX: Record<string, string> = {
  'container-environment':
    'Move it from `environment` to `secrets`: `secrets: { NAME: ecs.Secret.fromSecretsManager(secret) }` ' +
    '(ECS reads the value at task start; the task execution role gets GetSecretValue). ' +
    'If the variable is not a secret, rename it so it does not end in _SECRET/_PASSWORD/_API_KEY/_TOKEN/_KEY.',
  'lambda-environment':
    'Do not put the secret in the function environment: pass the secret ARN (e.g. NAME_SECRET_ARN: secret.secretArn), ' +
    'grant `secret.grantRead(fn)` and read it at run time (Secrets Manager SDK or the Parameters and Secrets extension).',
  'codebuild-environment':
    'Use `{ type: codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER, value: secret.secretName }` instead of PLAINTEXT.',
};

/**
 * A secret handed over as a plain environment variable (ECS container `environment`, Lambda
 * `Environment.Variables`, CodeBuild PLAINTEXT): the variable is named like a secret, or its value
 * is a `{{resolve:secretsmanager:...}}` / `{{resolve:ssm-secure:...}}` dynamic reference, which
 * CloudFormation resolves INTO the plain configuration. Secret-looking literal values are reported
 * by FLEAPO-SECRET-VALUE-IN-TEMPLATE. `VITE_*` names are left to FLEAPO-BROWSER-ENV-SECRET.
 */
export function plainEnvSecretRule(bindings: readonly EnvBinding[]): Finding[] {
  const out: Finding[] = [];
  for (const b of bindings) {
    const plain =
      b.site === 'container-environment' ||
      b.site === 'lambda-environment' ||
      (b.site === 'codebuild-environment' && (b.valueType ?? 'PLAINTEXT') === 'PLAINTEXT');
    if (!plain || isBrowserEnvName(b.name)) continue;
    const dynRef = stringLeaves(b.value).some((l) => isSecretDynamicReference(l.value));
    const named = isSecretName(b.name);
    if (!named && !dynRef) continue;
    const why = dynRef
      ? 'its value is a Secrets Manager / SSM SecureString dynamic reference, which CloudFormation resolves into the plain configuration'
      : 'it is named like a secret';
    out.push({
      ruleName: PLAIN_ENV_SECRET,
      description: `${b.constructPath}: ${bindingLabel(b)} passes a secret in plain text (${why}); plain environment is readable by anyone who can describe the resource.`,
      fix: FIX[b.site],
      constructPath: b.constructPath,
      logicalId: b.logicalId,
      filePath: b.filePath,
      location: b.location,
    });
  }
  return out;
}
