import type { GuardrailRule } from '../rule';
import { browserEnvSecret } from './browser-env-secret';
import { dockerBuildSecret } from './docker-build-secret';
import { literalCredential } from './literal-credential';
import { literalSecretString } from './literal-secret-string';
import { plainEnvSecret } from './plain-env-secret';
import { secretValueInTemplate } from './secret-value-in-template';

/**
 * Every guardrail rule, in the order findings are reported. The synth plugin (`SecretGuardrails`), its rule ids and
 * the tests read this list: a new rule is its file, one line here, and its tests.
 */
export const GUARDRAIL_RULES: readonly GuardrailRule[] = [
  plainEnvSecret,
  // Before browserEnvSecret: of the asset manifests, the docker rule's findings come first.
  dockerBuildSecret,
  browserEnvSecret,
  literalSecretString,
  secretValueInTemplate,
  literalCredential,
];

/** The ids of {@link GUARDRAIL_RULES}. */
export const GUARDRAIL_RULE_IDS: readonly string[] = GUARDRAIL_RULES.map((rule) => rule.id);
