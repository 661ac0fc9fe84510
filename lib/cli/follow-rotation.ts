import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TAG_REFUSAL, TAG_REFUSED_VERSION } from '../../catalog/tags';
import { AWSCURRENT, AWSPENDING, SecretStore, versionWithStage, type SecretDescription } from '../../lambda/rotation/secret-store';

/** How a rotation the CLI started ended, as DescribeSecret reports it (no value is read). */
export type RotationOutcome =
  /** AWSCURRENT is on the new version and no AWSPENDING is left: every step succeeded. */
  | { readonly kind: 'done'; readonly versionId: string }
  /** The rotation function recorded a failed step for this version (tags fleapo:refused-version / fleapo:refusal). */
  | { readonly kind: 'refused'; readonly versionId: string; readonly reason: string; readonly currentMoved: boolean }
  /** The version is gone (the rotation was cancelled by someone else). */
  | { readonly kind: 'vanished'; readonly versionId: string }
  | { readonly kind: 'timeout'; readonly versionId: string; readonly currentMoved: boolean };

export interface FollowRotationOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** Called when what DescribeSecret shows changes (e.g. AWSCURRENT moved). */
  readonly onChange?: (text: string) => void;
}

/** Pure: what one DescribeSecret says about the rotation of `versionId`; undefined while it is still running. */
export function rotationState(
  view: Pick<SecretDescription, 'versionIdsToStages' | 'tags'>,
  versionId: string,
): Exclude<RotationOutcome, { kind: 'timeout' }> | undefined {
  const current = versionWithStage(view.versionIdsToStages, AWSCURRENT);
  const pending = versionWithStage(view.versionIdsToStages, AWSPENDING);
  const currentMoved = current === versionId;
  if (currentMoved && pending === undefined) return { kind: 'done', versionId };
  if (view.tags[TAG_REFUSED_VERSION] === versionId) {
    return { kind: 'refused', versionId, reason: view.tags[TAG_REFUSAL] ?? 'no reason recorded', currentMoved };
  }
  if (view.versionIdsToStages[versionId] === undefined) return { kind: 'vanished', versionId };
  return undefined;
}

/**
 * Polls DescribeSecret until the rotation of `versionId` (the token RotateSecret returned) is done, is refused (the
 * rotation function records a failed step on the secret: reported at the next poll, seconds, not at the timeout),
 * vanishes, or the time is up.
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
  for (;;) {
    const view = await store.describe(secretId);
    const state = rotationState(view, versionId);
    if (state) return state;
    if (!moved && versionWithStage(view.versionIdsToStages, AWSCURRENT) === versionId) {
      moved = true;
      options.onChange?.(`AWSCURRENT moved to version ${versionId}; the function is rolling the service`);
    }
    if (Date.now() >= deadline) return { kind: 'timeout', versionId, currentMoved: moved };
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
