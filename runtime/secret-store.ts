import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';

/** What the rotation code needs to know about a secret (no values). */
export interface SecretDescription {
  rotationEnabled: boolean;
  versionIdsToStages: Record<string, string[]>;
  tags: Record<string, string>;
}

/** DescribeSecret's tag list as a record (a tag without a key is no tag). */
export function tagRecord(tags: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key as string, t.Value ?? '']));
}

/** Thin, value-safe wrapper over the Secrets Manager calls the rotation code makes. */
export class SecretStore {
  constructor(private readonly client: SecretsManagerClient) {}

  async describe(secretId: string): Promise<SecretDescription> {
    const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return {
      rotationEnabled: out.RotationEnabled === true,
      versionIdsToStages: out.VersionIdsToStages ?? {},
      tags: tagRecord(out.Tags),
    };
  }

  /** The SecretString of a stage (and optionally a version); throws if it has no string value. */
  async getString(secretId: string, stage: string, versionId?: string): Promise<string> {
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage, VersionId: versionId }));
    if (out.SecretString === undefined) {
      throw new Error(`Secret ${secretId}: ${stage} has no SecretString`);
    }
    return out.SecretString;
  }

  /** Like getString, but undefined when that version/stage does not exist (ResourceNotFoundException). */
  async findString(secretId: string, stage: string, versionId?: string): Promise<string | undefined> {
    try {
      return await this.getString(secretId, stage, versionId);
    } catch (error) {
      if (error instanceof ResourceNotFoundException || (error as { name?: string })?.name === 'ResourceNotFoundException') {
        return undefined;
      }
      throw error;
    }
  }

  /** The CreatedDate Secrets Manager reports for a version (ListSecretVersionIds: no value is read). */
  async versionCreatedDate(secretId: string, versionId: string): Promise<Date | undefined> {
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(new ListSecretVersionIdsCommand({ SecretId: secretId, MaxResults: 100, NextToken: nextToken }));
      const version = out.Versions?.find((v) => v.VersionId === versionId);
      if (version !== undefined) return version.CreatedDate;
      nextToken = out.NextToken;
    } while (nextToken);
    return undefined;
  }

  async putPending(secretId: string, token: string, value: string): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        SecretString: value,
        VersionStages: [AWSPENDING],
      }),
    );
  }

  async moveCurrent(secretId: string, toVersionId: string, fromVersionId: string): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: AWSCURRENT,
        MoveToVersionId: toVersionId,
        RemoveFromVersionId: fromVersionId,
      }),
    );
  }

  /** Removes `stage` from the version holding it (AWSCURRENT is never removed this way). */
  async removeStage(secretId: string, stage: string, fromVersionId: string): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: stage, RemoveFromVersionId: fromVersionId }),
    );
  }

  /** When each labelled version was created (ListSecretVersionIds: ids, labels and dates, no value), in ms. */
  async versionCreatedAt(secretId: string): Promise<Record<string, number>> {
    const out = await this.client.send(new ListSecretVersionIdsCommand({ SecretId: secretId, MaxResults: 100 }));
    return Object.fromEntries(
      (out.Versions ?? [])
        .filter((v) => v.VersionId && v.CreatedDate)
        .map((v) => [v.VersionId as string, (v.CreatedDate as Date).getTime()]),
    );
  }

  async tag(secretId: string, tags: Record<string, string>): Promise<void> {
    await this.client.send(
      new TagResourceCommand({
        SecretId: secretId,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
  }
}

/** The version id holding a stage, if any. */
export function versionWithStage(versionIdsToStages: Record<string, string[]>, stage: string): string | undefined {
  return Object.entries(versionIdsToStages).find(([, stages]) => stages.includes(stage))?.[0];
}
