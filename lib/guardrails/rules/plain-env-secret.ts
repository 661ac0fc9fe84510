import { isBrowserEnvName, isSecretDynamicReference, isSecretName } from '../secret-patterns';
import { candidateStrings } from '../intrinsics';
import { EnvBinding, bindingLabel, bindingPlace } from '../model';
import type { Found, GuardrailRule } from '../rule';

export const PLAIN_ENV_SECRET = 'FLEAPO-PLAIN-ENV-SECRET';

const DEFAULT_FIX =
  "Pass a reference to the secret (its ARN or name) and read it at run time, or use the resource's own secret-store setting.";

/**
 * A secret handed over as a plain environment variable, on any resource of the environment table
 * (`env-sites.ts`: ECS, Lambda, CodeBuild and inline buildspecs, App Runner, Batch, Amplify, Elastic
 * Beanstalk, SageMaker, Glue, Lightsail, CodePipeline): the variable is named like a secret in any
 * case style, or its value, however assembled (Fn::Join, Fn::Sub, ...), is a
 * `{{resolve:secretsmanager:...}}` / `{{resolve:ssm-secure:...}}` dynamic reference, which
 * CloudFormation resolves INTO the plain configuration. Secret-looking literal values are reported
 * by FLEAPO-SECRET-VALUE-IN-TEMPLATE. `VITE_*` names are left to FLEAPO-BROWSER-ENV-SECRET.
 */
export function plainEnvSecretRule(bindings: readonly EnvBinding[]): Found[] {
  const out: Found[] = [];
  for (const b of bindings) {
    if (b.source !== 'plain' || isBrowserEnvName(b.name)) continue;
    const dynRef = candidateStrings(b.value, b.template).some(isSecretDynamicReference);
    const named = isSecretName(b.name);
    if (!named && !dynRef) continue;
    const why = dynRef
      ? 'its value is a Secrets Manager / SSM SecureString dynamic reference, which CloudFormation resolves into the plain configuration'
      : 'it is named like a secret';
    out.push({
      ...bindingPlace(b),
      problem: `${bindingLabel(b)} passes a secret in plain text (${why}); plain environment is readable by anyone who can describe the resource.`,
      fix: b.fix, // the site's own way to pass a secret (env-sites.ts), when it has one
    });
  }
  return out;
}

/** {@link plainEnvSecretRule} in the registry. */
export const plainEnvSecret: GuardrailRule = {
  id: PLAIN_ENV_SECRET,
  fix: DEFAULT_FIX,
  checkStack: ({ bindings }) => plainEnvSecretRule(bindings),
};
