import { SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { versionWithStage } from '../rotation/secret-store';

import { STAGED_LABEL } from '../../catalog/labels';

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
