import { manifestsContext, stackContext } from './bindings';
import type { AssetManifestInput, Finding, StackInput } from './model';
import type { GuardrailRule } from './rule';
import { GUARDRAIL_RULES } from './rules';

/**
 * Runs the guardrail rules (every registered one unless told) over parsed templates and asset manifests: each
 * stack's findings rule by rule, then the manifests'. Pure: no file access.
 */
export function evaluateGuardrails(
  stacks: readonly StackInput[],
  manifests: readonly AssetManifestInput[] = [],
  rules: readonly GuardrailRule[] = GUARDRAIL_RULES,
): Finding[] {
  const findings: Finding[] = [];
  for (const stack of stacks) {
    const context = stackContext(stack);
    for (const rule of rules) findings.push(...(rule.checkStack?.(context) ?? []));
  }
  const context = manifestsContext(manifests);
  for (const rule of rules) findings.push(...(rule.checkManifests?.(context) ?? []));
  return findings;
}
