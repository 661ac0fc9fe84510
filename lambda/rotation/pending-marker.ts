/**
 * AWSPENDING belongs to the rotation: the value a rotation stores is committed to on the secret (tag TAG_PENDING,
 * written just before the value), and the steps act only on a pending value that matches it. Whoever can call
 * PutSecretValue with any VersionStages can write an AWSPENDING version, and staging labels are theirs to set, but
 * not this tag: TagResource with the key TAG_PENDING is allowed to the secret's rotation function only (aws:TagKeys),
 * and a marker read from the tags does not help to forge another value (it is a SHA-256 commitment to this version id
 * and this value).
 */
import { createHash } from 'node:crypto';
import { TAG_PENDING } from '../../catalog/tags';

/** base64url SHA-256 over the version id, a NUL and the value. */
export function pendingMarker(versionId: string, value: string): string {
  return createHash('sha256').update(versionId).update('\0').update(value).digest('base64url');
}

/** The marker tag for `value` stored as version `versionId`. */
export function pendingMarkerTag(versionId: string, value: string): Record<string, string> {
  return { [TAG_PENDING]: pendingMarker(versionId, value) };
}

/** True when the tags carry the marker of exactly this version and value. */
export function isRotationsOwnPending(tags: Record<string, string>, versionId: string, value: string): boolean {
  return tags[TAG_PENDING] === pendingMarker(versionId, value);
}
