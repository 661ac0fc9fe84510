import { manifestsContext, stackContext } from './bindings';
import type { AssetManifestInput, Finding, StackInput } from './model';
import { reportFinding, type GuardrailRule } from './rule';
import { GUARDRAIL_RULES } from './rules';

/**
 * Runs the guardrail rules (every registered one unless told) over parsed templates and asset manifests: each
 * stack's findings rule by rule, then the manifests'. Each rule returns what it found; {@link reportFinding} makes
 * the report of it. Pure: no file access.
 */
export function evaluateGuardrails(
  stacks: readonly StackInput[],
  manifests: readonly AssetManifestInput[] = [],
  rules: readonly GuardrailRule[] = GUARDRAIL_RULES,
): Finding[] {
  const findings: Finding[] = [];
  for (const stack of stacks) {
    const context = stackContext(stack);
    for (const rule of rules) for (const found of rule.checkStack?.(context) ?? []) findings.push(reportFinding(rule, found));
  }
  const context = manifestsContext(manifests);
  for (const rule of rules) for (const found of rule.checkManifests?.(context) ?? []) findings.push(reportFinding(rule, found));
  return findings;
}
