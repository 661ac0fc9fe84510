import { findSecretValue, isSecretDynamicReference } from '../secret-patterns';
import { Finding, StackInput, constructPathOf, stringLeaves } from '../model';

export const LITERAL_SECRET_STRING = 'FLEAPO-LITERAL-SECRET-STRING';

const FIX =
  'Do not give the secret value in code (`SecretValue.unsafePlainText`, `secretStringValue`, `secretObjectValue` with literals): ' +
  'create the secret without a value (or with `generateSecretString`) and set the real value out of band ' +
  '(`aws secretsmanager put-secret-value`, see the runbook), so it never lands in the template.';

/** A JSON key/value pair whose key names a secret and whose value is a non-empty literal. */
const LITERAL_SECRET_FIELD = /"(?:password|secret|[a-z_]*secret[a-z_]*|api_?key|token|private_?key)"\s*:\s*"[^"]+"/i;

/**
 * An AWS::SecretsManager::Secret whose `SecretString` is in the template: a plain literal
 * (SecretValue.unsafePlainText), or an Fn::Join whose literal parts contain a secret.
 */
export function literalSecretStringRule(stack: StackInput): Finding[] {
  const out: Finding[] = [];
  for (const [logicalId, res] of Object.entries(stack.template.Resources ?? {})) {
    if (res.Type !== 'AWS::SecretsManager::Secret') continue;
    const value = res.Properties?.SecretString;
    if (value === undefined) continue;
    let reason: string | undefined;
    if (typeof value === 'string') {
      if (!isSecretDynamicReference(value)) reason = 'its SecretString is a literal in the template';
    } else {
      const literals = stringLeaves(value).map((l) => l.value);
      if (literals.some((s) => findSecretValue(s) || LITERAL_SECRET_FIELD.test(s))) {
        reason = 'its SecretString is built from literals that contain a secret';
      }
    }
    if (!reason) continue;
    const constructPath = constructPathOf(logicalId, res, stack.constructPaths);
    out.push({
      ruleName: LITERAL_SECRET_STRING,
      description: `${constructPath}: Secrets Manager secret's value is written in the synthesized template (${reason}); anyone who can read the template or the CloudFormation stack sees it.`,
      fix: FIX,
      constructPath,
      logicalId,
      filePath: stack.templatePath,
      location: 'Properties/SecretString',
    });
  }
  return out;
}
