import { SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { versionWithStage } from './secret-store';

import { STAGED_LABEL } from '../catalog/labels';
import { TAG_REFUSAL, TAG_REFUSED_VERSION } from '../catalog/tags';

/** The version carrying STAGED_LABEL, from DescribeSecret's VersionIdsToStages. */
export function stagedVersionId(versionIdsToStages: Record<string, string[]>): string | undefined {
  return versionWithStage(versionIdsToStages, STAGED_LABEL);
}

/** Removes STAGED_LABEL from `versionId` (which must carry it). */
export async function removeStagedLabel(client: SecretsManagerClient, secretId: string, versionId: string): Promise<void> {
  await client.send(
    new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: STAGED_LABEL, RemoveFromVersionId: versionId }),
  );
}

/**
 * Where the staged label stands relative to AWSCURRENT (no value read):
 * - `waiting`: a value staged for the next rotation;
 * - `current`: the label is left on a value that is already current: on the AWSCURRENT version itself, or on the
 *   version the current version's rotation took its value from. The latter is known without reading a value when
 *   the current version's finish step failed (recorded `finishSecret:` refusal of that version: the function moved
 *   AWSCURRENT, then failed before it removed the label) and the staged version is older than the current one (a
 *   rotation takes the value staged when it starts; a value staged later is newer than the rotation's version).
 */
export type StagedLabelState = { readonly versionId: string; readonly state: 'waiting' | 'current' };

export function stagedLabelState(
  versionIdsToStages: Record<string, string[]>,
  tags: Record<string, string>,
  createdAt: (versionId: string) => number | undefined,
): StagedLabelState | undefined {
  const staged = stagedVersionId(versionIdsToStages);
  if (staged === undefined) return undefined;
  const current = versionWithStage(versionIdsToStages, 'AWSCURRENT');
  if (staged === current) return { versionId: staged, state: 'current' };
  const finishFailed =
    current !== undefined && tags[TAG_REFUSED_VERSION] === current && (tags[TAG_REFUSAL] ?? '').startsWith('finishSecret:');
  const [stagedAt, currentAt] = [createdAt(staged), current === undefined ? undefined : createdAt(current)];
  const older = stagedAt !== undefined && currentAt !== undefined && stagedAt <= currentAt;
  return { versionId: staged, state: finishFailed && older ? 'current' : 'waiting' };
}
