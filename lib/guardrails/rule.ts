import type { AssetManifestInput, EnvBinding, Finding, StackInput } from './model';

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
 * One guardrail rule. Registered once in `rules/index.ts` ({@link GUARDRAIL_RULES}), which the synth plugin, its
 * rule ids and the tests read: a new rule is its file, one registry line and its tests.
 */
export interface GuardrailRule {
  /** The rule id reported in violations, e.g. `FLEAPO-PLAIN-ENV-SECRET`. */
  readonly id: string;
  /** Findings in one stack's template. @default none */
  readonly checkStack?: (context: StackContext) => Finding[];
  /** Findings in the app's asset manifests (docker images). @default none */
  readonly checkManifests?: (context: ManifestsContext) => Finding[];
}
