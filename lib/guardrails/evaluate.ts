import { AssetManifestInput, Finding, StackInput, secretResourceIds, dockerBuildArgBindings } from './model';
import { templateBindings } from './env-sites';
import { plainEnvSecretRule } from './rules/plain-env-secret';
import { browserEnvSecretRule } from './rules/browser-env-secret';
import { dockerBuildSecretRule } from './rules/docker-build-secret';
import { literalSecretStringRule } from './rules/literal-secret-string';
import { secretValueInTemplateRule } from './rules/secret-value-in-template';
import { literalCredentialRule } from './rules/literal-credential';

/** Runs every guardrail rule over parsed templates and asset manifests. Pure: no file access. */
export function evaluateGuardrails(stacks: readonly StackInput[], manifests: readonly AssetManifestInput[] = []): Finding[] {
  const findings: Finding[] = [];
  for (const stack of stacks) {
    const bindings = templateBindings(stack);
    findings.push(...plainEnvSecretRule(bindings));
    findings.push(...browserEnvSecretRule(bindings, secretResourceIds(stack.template)));
    findings.push(...literalSecretStringRule(stack));
    findings.push(...secretValueInTemplateRule(stack));
    findings.push(...literalCredentialRule(stack, bindings));
  }
  findings.push(...dockerBuildSecretRule(manifests));
  findings.push(...browserEnvSecretRule(manifests.flatMap(dockerBuildArgBindings)));
  return findings;
}
