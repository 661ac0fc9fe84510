import { findSecretValue } from '../secret-patterns';
import { assembleStrings } from '../intrinsics';
import { StackInput, join, resourcePath } from '../model';
import type { Found, GuardrailRule } from '../rule';

export const SECRET_VALUE_IN_TEMPLATE = 'FLEAPO-SECRET-VALUE-IN-TEMPLATE';

const FIX =
  'Remove the value from the app. Store it in Secrets Manager (set out of band: `bin/fleapo-secrets stage`, docs/bootstrap-and-first-deploy.md, "Bootstrap order") and pass a reference: ' +
  'ECS `secrets`, a secret ARN plus grantRead for Lambda, or a dynamic reference where CloudFormation supports one for that property. ' +
  'If the key was ever committed or deployed, rotate it now.';

const INTRINSIC = /^(?:Ref|Fn::[A-Za-z0-9]+)$/;

/**
 * Every string value of a template with where it is: plain strings, and each intrinsic function
 * (Fn::Join, Fn::Sub, ...) as the texts it can be assembled into (`intrinsics.ts`).
 */
export function templateStrings(template: StackInput['template']): Array<{ path: string; strings: string[] }> {
  const out: Array<{ path: string; strings: string[] }> = [];
  const walk = (v: unknown, p: string): void => {
    if (typeof v === 'string') out.push({ path: p, strings: [v] });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, join(p, String(i))));
    else if (v && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length === 1 && INTRINSIC.test(keys[0])) {
        const a = assembleStrings(v, template);
        if (a.texts.length > 0 || a.fragments.length > 0) out.push({ path: p, strings: [...new Set([...a.texts, ...a.fragments])] });
        // Fn::If may choose between objects (whole property values): walk those as well.
        const arg = (v as Record<string, unknown>)[keys[0]];
        if (keys[0] === 'Fn::If' && Array.isArray(arg)) {
          arg.forEach((x, i) => {
            if (x && typeof x === 'object' && !Array.isArray(x) && !isIntrinsic(x)) walk(x, join(join(p, keys[0]), String(i)));
          });
        }
        return;
      }
      for (const [k, x] of Object.entries(v)) walk(x, join(p, k));
    }
  };
  walk(template, '');
  return out;
}

function isIntrinsic(v: unknown): boolean {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && INTRINSIC.test(keys[0]);
}

/**
 * Any string anywhere in a template (resources, outputs, parameters, mappings, metadata), as
 * written or as assembled by Fn::Join / Fn::Sub / ..., that looks like a secret value: Stripe /
 * PostHog keys, a postgres URL with a password, an AWS access key id, ...
 * The message names the pattern, never the value.
 */
export function secretValueInTemplateRule(stack: StackInput): Found[] {
  const out: Found[] = [];
  const resources = stack.template.Resources ?? {};
  for (const entry of templateStrings(stack.template)) {
    const hit = entry.strings.map((s) => findSecretValue(s)).find((p) => p !== undefined);
    if (!hit) continue;
    const parts = entry.path.split('/');
    let constructPath = `${stack.nestedIn ? `${stack.nestedIn} ` : ''}${stack.templatePath} (${parts[0]})`;
    let logicalId: string | undefined;
    let location = entry.path;
    if (parts[0] === 'Resources' && resources[parts[1]]) {
      logicalId = parts[1];
      constructPath = resourcePath(stack, logicalId, resources[logicalId]);
      location = parts.slice(2).join('/');
    } else if (parts[1] && stack.constructPaths?.[parts[1]]) {
      constructPath = stack.constructPaths[parts[1]]; // an output, a parameter, a mapping
    }
    out.push({
      constructPath,
      logicalId,
      filePath: stack.templatePath,
      location,
      problem: `the synthesized template contains what looks like ${hit.description} at ${location}.`,
    });
  }
  return out;
}

/** {@link secretValueInTemplateRule} in the registry. */
export const secretValueInTemplate: GuardrailRule = {
  id: SECRET_VALUE_IN_TEMPLATE,
  fix: FIX,
  checkStack: ({ stack }) => secretValueInTemplateRule(stack),
};
