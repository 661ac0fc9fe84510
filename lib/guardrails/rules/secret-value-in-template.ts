import { findSecretValue } from '../secret-patterns';
import { Finding, StackInput, constructPathOf, stringLeaves } from '../model';

export const SECRET_VALUE_IN_TEMPLATE = 'FLEAPO-SECRET-VALUE-IN-TEMPLATE';

const FIX =
  'Remove the value from the app. Store it in Secrets Manager (set out of band, see the runbook) and pass a reference: ' +
  'ECS `secrets`, a secret ARN plus grantRead for Lambda, or a dynamic reference where CloudFormation supports one for that property. ' +
  'If the key was ever committed or deployed, rotate it now.';

/**
 * Any string anywhere in a template (resources, outputs, parameters, mappings, metadata) that looks
 * like a secret value: Stripe / PostHog keys, a postgres URL with a password, an AWS access key id, ...
 * The message names the pattern, never the value.
 */
export function secretValueInTemplateRule(stack: StackInput): Finding[] {
  const out: Finding[] = [];
  const resources = stack.template.Resources ?? {};
  for (const leaf of stringLeaves(stack.template)) {
    const hit = findSecretValue(leaf.value);
    if (!hit) continue;
    const parts = leaf.path.split('/');
    let constructPath = `${stack.templatePath} (${parts[0]})`;
    let logicalId: string | undefined;
    let location = leaf.path;
    if (parts[0] === 'Resources' && resources[parts[1]]) {
      logicalId = parts[1];
      constructPath = constructPathOf(logicalId, resources[logicalId], stack.constructPaths);
      location = parts.slice(2).join('/');
    }
    out.push({
      ruleName: SECRET_VALUE_IN_TEMPLATE,
      description: `${constructPath}: the synthesized template contains what looks like ${hit.description} at ${location}.`,
      fix: FIX,
      constructPath,
      logicalId,
      filePath: stack.templatePath,
      location,
    });
  }
  return out;
}
