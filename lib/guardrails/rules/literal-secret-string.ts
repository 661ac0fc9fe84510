import { findSecretValue, isSecretDynamicReference, isSecretName, TOKEN_PLACEHOLDER } from '../secret-patterns';
import { assembleStrings, literalRemainder, namedValues } from '../intrinsics';
import { StackInput, resourcePath } from '../model';
import type { Found, GuardrailRule } from '../rule';

export const LITERAL_SECRET_STRING = 'FLEAPO-LITERAL-SECRET-STRING';

const FIX =
  'Do not give the secret value in code (`SecretValue.unsafePlainText`, `secretStringValue`, `secretObjectValue` with literals): ' +
  'create the secret without a value (or with `generateSecretString`) and set the real value out of band ' +
  '(`bin/fleapo-secrets stage`, docs/bootstrap-and-first-deploy.md, "Bootstrap order"), so it never lands in the template.';

/**
 * Why a `SecretString`, as CloudFormation may assemble it, puts a secret in the template; undefined when it does not.
 * Each text is checked: wholly literal; or looking like a key; or a JSON / name=value text whose field named like a
 * secret (any case style: `password`, `dbPassword`, `api-key`, ...) has literal content, even when other fields
 * are references (`host` from `Fn::GetAtt`).
 */
export function literalSecretStringReason(value: unknown, template: StackInput['template'] = {}): string | undefined {
  const a = assembleStrings(value, template);
  for (const text of a.texts) {
    if (text.trim() === '' || (isSecretDynamicReference(text) && literalRemainder(text) === '')) continue;
    if (!text.includes(TOKEN_PLACEHOLDER) && literalRemainder(text) !== '') {
      return typeof value === 'string' ? 'its SecretString is a literal in the template' : 'its SecretString is built from literals only';
    }
    const hit = findSecretValue(text);
    if (hit) return `its SecretString contains what looks like ${hit.description}`;
    const field = namedValues(text).find((f) => isSecretName(f.name) && literalRemainder(f.value) !== '');
    if (field) return `its SecretString field "${field.name}" is a literal`;
  }
  const hit = a.fragments.map((f) => findSecretValue(f)).find((p) => p !== undefined);
  if (hit) return `its SecretString contains what looks like ${hit.description}`;
  return undefined;
}

/** An AWS::SecretsManager::Secret whose `SecretString` (or part of it) is in the template. */
export function literalSecretStringRule(stack: StackInput): Found[] {
  const out: Found[] = [];
  for (const [logicalId, res] of Object.entries(stack.template.Resources ?? {})) {
    if (res.Type !== 'AWS::SecretsManager::Secret') continue;
    const value = res.Properties?.SecretString;
    if (value === undefined) continue;
    const reason = literalSecretStringReason(value, stack.template);
    if (!reason) continue;
    out.push({
      constructPath: resourcePath(stack, logicalId, res),
      logicalId,
      filePath: stack.templatePath,
      location: 'Properties/SecretString',
      problem: `Secrets Manager secret's value is written in the synthesized template (${reason}); anyone who can read the template or the CloudFormation stack sees it.`,
    });
  }
  return out;
}

/** {@link literalSecretStringRule} in the registry. */
export const literalSecretString: GuardrailRule = {
  id: LITERAL_SECRET_STRING,
  fix: FIX,
  checkStack: ({ stack }) => literalSecretStringRule(stack),
};
