import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TAG_REFUSAL, TAG_REFUSAL_FINAL, TAG_REFUSED_AT, TAG_REFUSED_VERSION } from '../../catalog/tags';
import { AWSCURRENT, AWSPENDING, SecretStore, versionWithStage, type SecretDescription } from '../../runtime/secret-store';

/** How a rotation the CLI started ended, as DescribeSecret reports it (no value is read). */
export type RotationOutcome =
  /** AWSCURRENT is on the new version and no AWSPENDING is left: every step succeeded. */
  | { readonly kind: 'done'; readonly versionId: string; readonly retried: number }
  /**
   * The rotation function recorded a failed step for this version (tags fleapo:refused-version / fleapo:refusal): one
   * no retry can mend (fleapo:refusal-final), or one Secrets Manager retried until its retries were spent (`retriesSpent`).
   */
  | {
      readonly kind: 'refused';
      readonly versionId: string;
      readonly reason: string;
      readonly currentMoved: boolean;
      readonly retriesSpent?: boolean;
    }
  /** The version is gone (the rotation was cancelled by someone else). */
  | { readonly kind: 'vanished'; readonly versionId: string }
  | { readonly kind: 'timeout'; readonly versionId: string; readonly currentMoved: boolean; readonly lastRefusal?: string };

/**
 * One look at the rotation: a final outcome, still `running`, or `retrying`: a step failed in a way a retry may mend
 * (a throttle, a network problem, an issuer's 5xx, a permission missing during a deploy: the function records
 * `fleapo:refusal-final=false`), and Secrets Manager retries the whole rotation with the same version. Before AWSCURRENT
 * moved, every step runs again; after, the steps return at once except the finish step, which rolls the service again.
 * Such a failure is not final until the retries are spent. A failure the function records as final (a malformed or
 * rejected key, a value the rotation did not create, a missing setting) is `refused` at once: a retry fails the same way.
 */
export type RotationState =
  | Exclude<RotationOutcome, { kind: 'timeout' }>
  | { readonly kind: 'running'; readonly currentMoved: boolean }
  | { readonly kind: 'retrying'; readonly reason: string; readonly failedAt: string | undefined; readonly currentMoved: boolean };

export interface FollowRotationOptions {
  /** How long to follow, at most (the command's deadline). */
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /**
   * How long Secrets Manager may take to retry a failed finish step: with no new failed attempt recorded (and the
   * rotation not done) for that long after the last one, its retries are taken as spent.
   */
  readonly retryWaitMs: number;
  /** Called when what DescribeSecret shows changes (AWSCURRENT moved, a failed attempt that will be retried). */
  readonly onChange?: (text: string) => void;
}

/** Pure: what one DescribeSecret says about the rotation of `versionId`. */
export function rotationState(view: Pick<SecretDescription, 'versionIdsToStages' | 'tags'>, versionId: string): RotationState {
  const current = versionWithStage(view.versionIdsToStages, AWSCURRENT);
  const pending = versionWithStage(view.versionIdsToStages, AWSPENDING);
  const currentMoved = current === versionId;
  if (currentMoved && pending === undefined) return { kind: 'done', versionId, retried: 0 };
  if (view.tags[TAG_REFUSED_VERSION] === versionId) {
    const reason = view.tags[TAG_REFUSAL] ?? 'no reason recorded';
    // (A record without the flag, from a function deployed before it existed: final before AWSCURRENT moved, as then.)
    const final =
      view.tags[TAG_REFUSAL_FINAL] === undefined
        ? !(currentMoved && reason.startsWith('finishSecret:'))
        : view.tags[TAG_REFUSAL_FINAL] !== 'false';
    if (!final) return { kind: 'retrying', reason, failedAt: view.tags[TAG_REFUSED_AT], currentMoved };
    return { kind: 'refused', versionId, reason, currentMoved };
  }
  if (view.versionIdsToStages[versionId] === undefined) return { kind: 'vanished', versionId };
  return { kind: 'running', currentMoved };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Polls DescribeSecret until the rotation of `versionId` (the token RotateSecret returned) is done, is refused (the
 * rotation function records a failed step on the secret: reported at the next poll, seconds, not at the timeout),
 * vanishes, or the time is up. A failure a retry may mend, at any step, is followed through Secrets Manager's retries
 * ("retrying") until one completes the rotation or none came for `retryWaitMs`.
 */
export async function followRotation(
  sm: SecretsManagerClient,
  secretId: string,
  versionId: string,
  options: FollowRotationOptions,
): Promise<RotationOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  const store = new SecretStore(sm);
  let moved = false;
  let attempts = 0;
  let lastAttempt: { key: string; seenAt: number } | undefined;
  let lastRefusal: string | undefined;
  for (;;) {
    const state = rotationState(await store.describe(secretId), versionId);
    if (state.kind === 'done') return { ...state, retried: attempts };
    if (state.kind === 'refused' || state.kind === 'vanished') return state;
    if (!moved && state.currentMoved) {
      moved = true;
      options.onChange?.(`AWSCURRENT moved to version ${versionId}; the function is rolling the service`);
    }
    if (state.kind === 'retrying') {
      lastRefusal = state.reason;
      const key = `${state.failedAt ?? ''} ${state.reason}`;
      if (lastAttempt?.key !== key) {
        attempts += 1;
        lastAttempt = { key, seenAt: Date.now() };
        const step = /^(\w+):/.exec(state.reason)?.[1] ?? 'a step';
        options.onChange?.(
          state.currentMoved
            ? `retrying: attempt ${attempts} of the finish step failed (${state.reason}); Secrets Manager retries the rotation of version ${versionId}, which rolls the service again`
            : `retrying: attempt ${attempts} failed at ${step} (${state.reason}); AWSCURRENT has not moved, and Secrets Manager retries the rotation of version ${versionId} from its first step`,
        );
      } else if (Date.now() - lastAttempt.seenAt >= options.retryWaitMs) {
        return { kind: 'refused', versionId, reason: state.reason, currentMoved: state.currentMoved, retriesSpent: true };
      }
    }
    if (Date.now() >= deadline) return { kind: 'timeout', versionId, currentMoved: moved, ...(lastRefusal ? { lastRefusal } : {}) };
    await sleep(Math.min(options.intervalMs, deadline - Date.now()));
  }
}
