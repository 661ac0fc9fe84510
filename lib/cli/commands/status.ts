import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  type DescribeSecretResponse,
  type SecretVersionsListEntry,
} from '@aws-sdk/client-secrets-manager';
import { STAGED_LABEL } from '../../../catalog/labels';
import {
  TAG_DATABASE_ROLE,
  TAG_REFUSAL,
  TAG_REFUSED_VERSION,
  TAG_RETIRED_DEPLOYMENT,
  TAG_ROLLOUT_DEPLOYMENT,
  TAG_ROLLOUT_VERSION,
} from '../../../catalog/tags';
import { recordedRollout, recordedRolloutStart } from '../../../runtime/rollout-tags';
import { alternateRole } from '../../../runtime/database-secret';
import { AWSCURRENT, AWSPENDING, tagRecord, versionWithStage } from '../../../runtime/secret-store';
import { awsProblem, type CliClients } from '../aws';
import { classifyAwsError } from '../cli-errors';
import { stagedLabelState } from '../../../runtime/staging';
import { rolloutSnapshot, type RolloutSnapshot } from '../rollout-follow';
import type { SecretTarget } from '../targets';

/** Where one secret stands: ids, stages, dates and states only, never a value (nothing here reads one). */
export interface SecretStatus {
  readonly secret: string;
  readonly secretId: string;
  /** Set when the secret could not be read (e.g. not deployed, no permission). */
  readonly error?: string;
  readonly rotationEnabled?: boolean;
  readonly lastRotated?: string;
  readonly nextRotation?: string;
  /** Versions that carry a label, newest first. */
  readonly versions: { readonly id: string; readonly stages: string[]; readonly created?: string }[];
  /**
   * never: only the first value; in-progress: a version is AWSPENDING; refused: that version's rotation recorded a
   * failed step; complete: the last rotation finished.
   */
  readonly rotation?: 'never' | 'in-progress' | 'refused' | 'complete';
  readonly pendingVersion?: string;
  /** `<step>: <message>` the rotation function recorded for the pending version. */
  readonly refusal?: string;
  /** The version labelled FLEAPO_STAGED. */
  readonly stagedVersion?: string;
  /**
   * waiting: a value staged for the next rotation; current: its value is already AWSCURRENT and the label is left
   * over (roll-current removes it). See runtime/staging.ts, stagedLabelState.
   */
  readonly stagedState?: 'waiting' | 'current';
  /** The rollout the last rotation started, and how it stands. */
  readonly rollout?: { readonly versionId: string; readonly current: boolean; readonly deploymentId: string } & (
    | RolloutSnapshot
    /** The record is of an earlier version: nothing records (or rolled) the current one. */
    | { readonly state: 'not-recorded'; readonly detail: string }
    | { readonly state: 'UNKNOWN'; readonly error: string }
  );
  /** DATABASE_URL: the role the current URL logs in as, and the other one of the pair (as the rotation recorded). */
  readonly currentRole?: string;
  readonly previousRole?: string;
  /** DATABASE_URL: whether the previous role's login was retired after that rollout. */
  readonly previousRoleRetired?: boolean;
}

const iso = (d: Date | undefined): string | undefined => (d === undefined ? undefined : d.toISOString());

/** Pure: the status of one secret from DescribeSecret and ListSecretVersionIds (ECS looked at separately). */
export function secretStatusFrom(
  target: SecretTarget,
  d: DescribeSecretResponse,
  versions: SecretVersionsListEntry[],
): Omit<SecretStatus, 'rollout'> & { rolloutDeployment?: string; rolloutVersion?: string; rolloutSince?: Date } {
  const stages = d.VersionIdsToStages ?? {};
  const tags = tagRecord(d.Tags);
  const created = new Map(versions.map((v) => [v.VersionId, iso(v.CreatedDate)]));
  const pending = versionWithStage(stages, AWSPENDING);
  // AWSPENDING on the current version: finishSecret moved AWSCURRENT but the rotation has not ended yet.
  const pendingVersion = pending;
  const refusal = pendingVersion !== undefined && tags[TAG_REFUSED_VERSION] === pendingVersion ? tags[TAG_REFUSAL] : undefined;
  const rotation =
    pendingVersion !== undefined
      ? refusal !== undefined
        ? 'refused'
        : 'in-progress'
      : d.LastRotatedDate === undefined && tags[TAG_ROLLOUT_VERSION] === undefined
        ? 'never'
        : 'complete';
  const staged = stagedLabelState(stages, tags, (id) => versions.find((v) => v.VersionId === id)?.CreatedDate?.getTime());
  const labelled = Object.entries(stages)
    .map(([id, s]) => ({ id, stages: [...s].sort(), created: created.get(id) }))
    .sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
  return {
    secret: target.name,
    secretId: target.secretId,
    rotationEnabled: d.RotationEnabled === true,
    lastRotated: iso(d.LastRotatedDate),
    nextRotation: iso(d.NextRotationDate),
    versions: labelled,
    rotation,
    ...(pendingVersion !== undefined ? { pendingVersion } : {}),
    ...(refusal !== undefined ? { refusal } : {}),
    ...(staged !== undefined ? { stagedVersion: staged.versionId, stagedState: staged.state } : {}),
    ...(tags[TAG_ROLLOUT_DEPLOYMENT]
      ? {
          rolloutDeployment: tags[TAG_ROLLOUT_DEPLOYMENT],
          rolloutVersion: tags[TAG_ROLLOUT_VERSION],
          rolloutSince: recordedRolloutStart(tags, tags[TAG_ROLLOUT_VERSION]),
        }
      : {}),
    ...(target.name === 'DATABASE_URL' && tags[TAG_DATABASE_ROLE]
      ? { currentRole: tags[TAG_DATABASE_ROLE], previousRole: alternateRole(tags[TAG_DATABASE_ROLE]) }
      : {}),
    ...(target.name === 'DATABASE_URL' && tags[TAG_ROLLOUT_DEPLOYMENT]
      ? { previousRoleRetired: tags[TAG_RETIRED_DEPLOYMENT] !== undefined && tags[TAG_RETIRED_DEPLOYMENT] === tags[TAG_ROLLOUT_DEPLOYMENT] }
      : {}),
  };
}

export async function secretStatus(target: SecretTarget, clients: CliClients): Promise<SecretStatus> {
  let d: DescribeSecretResponse;
  let versions: SecretVersionsListEntry[];
  try {
    d = await clients.sm.send(new DescribeSecretCommand({ SecretId: target.secretId }));
    versions = (await clients.sm.send(new ListSecretVersionIdsCommand({ SecretId: target.secretId, MaxResults: 100 }))).Versions ?? [];
  } catch (error) {
    // No credentials, no answer: the same for every secret, told once by the caller.
    if (classifyAwsError(error, {})) throw error;
    return { secret: target.name, secretId: target.secretId, error: awsProblem(error), versions: [] };
  }
  const { rolloutDeployment, rolloutVersion, rolloutSince: since, ...status } = secretStatusFrom(target, d, versions);
  if (rolloutDeployment === undefined || rolloutVersion === undefined) return status;
  const currentVersion = versionWithStage(d.VersionIdsToStages ?? {}, AWSCURRENT);
  const current = currentVersion === rolloutVersion;
  if (!current) {
    // The verdict of an earlier version says nothing about where the current value runs.
    const detail =
      `no rollout of the current version ${currentVersion ?? '-'} is recorded (the record is of version ${rolloutVersion}): its rotation may not have rolled the service; ` +
      `\`fleapo-secrets roll-current ${target.name} --env ${target.environment}\` rolls it out`;
    return { ...status, rollout: { versionId: rolloutVersion, current, deploymentId: rolloutDeployment, state: 'not-recorded', detail } };
  }
  try {
    if (since === undefined)
      return {
        ...status,
        rollout: {
          versionId: rolloutVersion,
          current,
          deploymentId: rolloutDeployment,
          state: 'UNKNOWN',
          error: 'no rollout start time recorded (fleapo:rollout-created-at)',
        },
      };
    // The record is checked against what AWS reports: the version's CreatedDate (ListSecretVersionIds, read above)
    // and the deployments ECS reports (rolloutStartFromAws).
    const record = recordedRollout(tagRecord(d.Tags), rolloutVersion);
    const versionCreatedAt = versions.find((v) => v.VersionId === rolloutVersion)?.CreatedDate;
    const recorded = record === undefined ? undefined : { record, versionCreatedAt };
    const snapshot = await rolloutSnapshot(clients.ecs, { cluster: target.cluster, service: target.service, since, recorded });
    return { ...status, rollout: { versionId: rolloutVersion, current, deploymentId: rolloutDeployment, ...snapshot } };
  } catch (error) {
    return {
      ...status,
      rollout: { versionId: rolloutVersion, current, deploymentId: rolloutDeployment, state: 'UNKNOWN', error: awsProblem(error) },
    };
  }
}

/** Pure: the human table of `status`. */
export function renderStatus(environment: string, statuses: SecretStatus[]): string {
  const lines: string[] = [`Environment ${environment}`];
  for (const s of statuses) {
    lines.push('', `${s.secret}  ${s.secretId}`);
    if (s.error) {
      lines.push(`  cannot read: ${s.error}`);
      continue;
    }
    const rotationText: Record<NonNullable<SecretStatus['rotation']>, string> = {
      never: 'never rotated (first value)',
      'in-progress': `in progress: version ${s.pendingVersion} is AWSPENDING`,
      refused: s.versions.find((v) => v.id === s.pendingVersion)?.stages.includes(AWSCURRENT)
        ? `FINISH STEP FAILED: version ${s.pendingVersion} is already AWSCURRENT but its finish step (rolling the service) failed at ${s.refusal}; Secrets Manager retries it, or \`fleapo-secrets roll-current ${s.secret} --env ${environment}\` recovers`
        : `REFUSED: version ${s.pendingVersion} is AWSPENDING and its rotation failed at ${s.refusal}`,
      complete: 'complete',
    };
    lines.push(`  rotation       ${rotationText[s.rotation ?? 'never']}${s.rotationEnabled ? '' : ' (rotation not enabled)'}`);
    lines.push(`  last rotated   ${s.lastRotated ?? '-'}`);
    lines.push(`  next rotation  ${s.nextRotation ?? (s.rotationEnabled ? 'on demand' : '-')}`);
    if (s.stagedVersion)
      lines.push(
        s.stagedState === 'current'
          ? `  staged         version ${s.stagedVersion} (${STAGED_LABEL}): its value is already AWSCURRENT, the label is left over (\`fleapo-secrets roll-current ${s.secret} --env ${environment}\` removes it)`
          : `  staged         version ${s.stagedVersion} (${STAGED_LABEL}) waits for a rotation`,
      );
    lines.push('  versions');
    for (const v of s.versions) lines.push(`    ${v.id}  ${v.stages.join(',').padEnd(24)}  ${v.created ?? ''}`.trimEnd());
    if (s.rollout) {
      const r = s.rollout;
      const detail = 'error' in r ? `UNKNOWN (${r.error})` : `${r.state}: ${r.detail}`;
      lines.push(
        `  rollout        deployment ${r.deploymentId} for version ${r.versionId}${r.current ? '' : ' (not the current version)'}: ${detail}`,
      );
    } else {
      lines.push('  rollout        none recorded');
    }
    if (s.currentRole) lines.push(`  current role   ${s.currentRole}`);
    if (s.previousRoleRetired !== undefined) {
      const which = s.previousRole ? `${s.previousRole}: ` : '';
      lines.push(
        `  previous role  ${which}${s.previousRoleRetired ? 'retired (NOLOGIN)' : 'still valid: retired once the rollout completed and its sessions are gone'}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
