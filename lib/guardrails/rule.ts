import type { AssetManifestInput, EnvBinding, Finding, FindingPlace, StackInput } from './model';

/** What a rule sees of one synthesized stack: the stack, and what is extracted from it once for every rule. */
export interface StackContext {
  readonly stack: StackInput;
  /** Every NAME=value binding of the stack's resources (`templateBindings`). */
  readonly bindings: readonly EnvBinding[];
  /** Logical ids of the stack's Secrets Manager secrets. */
  readonly secretIds: ReadonlySet<string>;
}

/** What a rule sees of the app's asset manifests. */
export interface ManifestsContext {
  readonly manifests: readonly AssetManifestInput[];
  /** The build arguments of every docker image of the manifests. */
  readonly buildArgBindings: readonly EnvBinding[];
}

/**
 * What a rule found: where, and what is wrong there. The rule's id and fix are not here: {@link reportFinding}
 * adds them from the rule's own metadata, so a rule cannot report under another id or misspell its fix.
 */
export interface Found extends FindingPlace {
  /**
   * What is wrong, in words, reported after "<construct path>: ". Names variables and pattern ids, never the value.
   */
  readonly problem: string;
  /**
   * The fix for this finding when it is not the rule's {@link GuardrailRuleMetadata.fix}: the binding site's own
   * (`env-sites.ts`), or a case the rule's file declares. @default the rule's fix
   */
  readonly fix?: string;
}

/** What is declared once per rule and reported with each of its findings. */
export interface GuardrailRuleMetadata {
  /** The rule id reported in violations, e.g. `FLEAPO-PLAIN-ENV-SECRET`. */
  readonly id: string;
  /** How to fix what the rule finds (the report's "Suggested fix"). */
  readonly fix: string;
}

/**
 * One guardrail rule: its metadata and its checks, which return only what they found ({@link Found}). Registered
 * once in `rules/index.ts` ({@link GUARDRAIL_RULES}), which the synth plugin, its rule ids and the tests read: a new
 * rule is its file, one registry line and its tests.
 */
export interface GuardrailRule extends GuardrailRuleMetadata {
  /** What the rule finds in one stack's template. @default nothing */
  readonly checkStack?: (context: StackContext) => readonly Found[];
  /** What the rule finds in the app's asset manifests (docker images). @default nothing */
  readonly checkManifests?: (context: ManifestsContext) => readonly Found[];
}

/** The one place a finding is built: the rule's id and fix, and what it found where. */
export function reportFinding(rule: GuardrailRuleMetadata, found: Found): Finding {
  return {
    ruleName: rule.id,
    description: `${found.constructPath}: ${found.problem}`,
    fix: found.fix ?? rule.fix,
    constructPath: found.constructPath,
    logicalId: found.logicalId,
    filePath: found.filePath,
    location: found.location,
  };
}
