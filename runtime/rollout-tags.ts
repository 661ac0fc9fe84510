/** Reading and writing the rollout tags; their keys are in catalog/tags.ts. */
import { TAG_ROLLOUT_CREATED_AT, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../catalog/tags';

/** A tag value holds at most 256 of these characters: letters, digits, white space and `_ . : / = + - @`. */
export function toTagValue(text: string): string {
  return text
    .replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 256);
}

/** T of the rollout recorded for `versionId`, or undefined when the tags do not record a rollout of that version. */
export function recordedRolloutStart(tags: Record<string, string>, versionId: string | undefined): Date | undefined {
  if (versionId === undefined || tags[TAG_ROLLOUT_VERSION] !== versionId) return undefined;
  const raw = tags[TAG_ROLLOUT_CREATED_AT];
  if (raw === undefined) return undefined;
  const at = new Date(raw);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The rollout record of a version, as the tags say (a claim: rolloutStartFromAws checks it against AWS). */
export interface RolloutRecord {
  versionId: string;
  /** The deployment the record names (fleapo:rollout-deployment), if any. */
  deploymentId?: string;
  /** Its recorded createdAt (fleapo:rollout-created-at). */
  createdAt: Date;
}

/** The rollout record of `versionId`, or undefined when the tags do not record a rollout of that version. */
export function recordedRollout(tags: Record<string, string>, versionId: string | undefined): RolloutRecord | undefined {
  const createdAt = recordedRolloutStart(tags, versionId);
  if (createdAt === undefined || versionId === undefined) return undefined;
  const deploymentId = tags[TAG_ROLLOUT_DEPLOYMENT];
  return { versionId, deploymentId: deploymentId === undefined || deploymentId === '' ? undefined : deploymentId, createdAt };
}
