import { SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { versionWithStage } from '../rotation/secret-store';

/**
 * The custom staging label of a value the operator staged for the next rotation (`fleapo-secrets stage`).
 * AWSCURRENT does not move when it is attached; the rotation function reads it at createSecret and removes it
 * once the value it carries is current.
 */
export const STAGED_LABEL = 'FLEAPO_STAGED';

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
