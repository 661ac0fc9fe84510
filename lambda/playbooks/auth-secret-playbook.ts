import * as crypto from 'node:crypto';
import { readEcsTarget } from '../config/env';
import { logger } from '../observability/logger';
import { ecsClient } from '../rotation/aws-clients';
import { REKEY_REQUEST_MAX_AGE_MS, TAG_REKEY_REQUESTED, TAG_REKEYED_VERSION, TAG_ROLLOUT_VERSION } from '../../catalog/tags';
import { rollServiceOnce } from '../rotation/ecs-rollout';
import { verifiedRolloutVerdict } from '../../runtime/rollout-follow';
import { recordedRollout } from '../../runtime/rollout-tags';
import { rolloutRecordMismatch } from '../rotation/ecs-rollout';
import { describeVerdict } from '../../runtime/rollout-verdict';
import type { RotationContext, RotationPlaybook } from '../rotation/rotation-engine';
import { AWSCURRENT, AWSPENDING, versionWithStage } from '../../runtime/secret-store';
import { RotationRefusal } from '../../runtime/rotation-refusal';

/** One AUTH_SECRET key: 64 random bytes as lowercase hex (what `openssl rand -hex 64` prints). */
export const AUTH_SECRET_PATTERN = /^[0-9a-f]{128}$/;
export const AUTH_SECRET_BYTES = 64;

export function generateAuthSecret(): string {
  return crypto.randomBytes(AUTH_SECRET_BYTES).toString('hex');
}

/**
 * The AUTH_SECRET value: a key ring. Before the first rotation it is a single key (128 hex characters, the stack's
 * generated value); from then on JSON `{"current","next","previous"?}`. The app signs with `current` and accepts all
 * three (packages/better-auth-secret-ring).
 */
export interface AuthSecretRing {
  current: string;
  next?: string;
  previous?: string;
}

/** Parses a stored value; errors name the problem, never the value. */
export function parseRing(value: string, what: string): AuthSecretRing {
  if (AUTH_SECRET_PATTERN.test(value)) return { current: value };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new RotationRefusal(`${what} is neither 128 lowercase hex characters nor a JSON key ring`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new RotationRefusal(`${what} is not a JSON key ring object`);
  const ring = parsed as Record<string, unknown>;
  const extra = Object.keys(ring).filter((k) => !['current', 'next', 'previous'].includes(k));
  if (extra.length > 0) throw new RotationRefusal(`${what} has unknown field(s) ${extra.join(', ')}`);
  for (const field of ['current', 'next', 'previous']) {
    const key = ring[field];
    if ((field === 'current' || key !== undefined) && (typeof key !== 'string' || !AUTH_SECRET_PATTERN.test(key))) {
      throw new RotationRefusal(`${what}: field "${field}" is not 128 lowercase hex characters`);
    }
  }
  return ring as unknown as AuthSecretRing;
}

/**
 * The ring that follows `ring`, one step:
 * - no `next` published yet (the first rotation): publish one, keep signing with `current`;
 * - else: sign with the published `next`, publish a fresh one, keep `current` as `previous`.
 */
export function nextRing(ring: AuthSecretRing, fresh: string): AuthSecretRing {
  if (ring.next === undefined) return { current: ring.current, next: fresh, ...(ring.previous ? { previous: ring.previous } : {}) };
  return { current: ring.next, next: fresh, previous: ring.current };
}

/** True when `pending` is a ring {@link nextRing} can make from `current` (whatever fresh key it chose). */
export function isSuccessor(current: AuthSecretRing, pending: AuthSecretRing): boolean {
  if (pending.next === undefined || pending.next === pending.current || pending.next === current.current || pending.next === current.next)
    return false;
  if (current.next === undefined) return pending.current === current.current && pending.previous === current.previous;
  return pending.current === current.next && pending.previous === current.current;
}

/** A ring with none of `leaked`'s keys: new `current` and `next`, no `previous` (the emergency re-key). */
export function freshRing(current: string, next: string): AuthSecretRing {
  return { current, next };
}

/** True when `pending` is a fresh ring: no `previous`, and neither of its keys is any key of `leaked`. */
export function isFreshRing(leaked: AuthSecretRing, pending: AuthSecretRing): boolean {
  const old = [leaked.current, leaked.next, leaked.previous].filter((k): k is string => k !== undefined);
  return (
    pending.previous === undefined &&
    pending.next !== undefined &&
    pending.next !== pending.current &&
    !old.includes(pending.current) &&
    !old.includes(pending.next)
  );
}

/**
 * The re-key request recorded on the secret (tag fleapo:rekey-requested, an ISO time), if it is valid for the
 * rotation `token` at `now`: made at most {@link REKEY_REQUEST_MAX_AGE_MS} ago, not in the future, and not consumed by
 * another rotation (tag fleapo:rekeyed-version `<request>/<token>` naming another token). Pure.
 */
export function rekeyRequest(tags: Record<string, string>, token: string, now: Date): string | undefined {
  const request = tags[TAG_REKEY_REQUESTED];
  if (request === undefined) return undefined;
  const at = new Date(request).getTime();
  if (Number.isNaN(at) || at > now.getTime() + 60_000 || now.getTime() - at > REKEY_REQUEST_MAX_AGE_MS) return undefined;
  const consumed = tags[TAG_REKEYED_VERSION];
  if (consumed !== undefined && consumed.startsWith(`${request}/`) && consumed !== rekeyedTagValue(request, token)) return undefined;
  return request;
}

/** The fleapo:rekeyed-version value: the request it served and the rotation that served it. */
export function rekeyedTagValue(request: string, token: string): string {
  return `${request}/${token}`;
}

/**
 * Refuses (throws; nothing is staged yet) a rotation that would start signing with the published `next` key while
 * a task that may not accept it could still serve: every task must run the current version, so the current
 * version's rollout (recorded by the rotation that made it current) must be complete as ECS reports it: a deployment
 * created since the version became current has completed and no task created before that still runs
 * (runtime/rollout-verdict.ts, the same rule as the database role retirement and the operator CLI).
 */
async function requireCurrentRolledOut(ctx: RotationContext): Promise<void> {
  const currentVersion = versionWithStage(ctx.description.versionIdsToStages, AWSCURRENT);
  const record = recordedRollout(ctx.description.tags, currentVersion);
  if (record === undefined) {
    throw new Error(
      `Secret ${ctx.secretId}: refusing to rotate: no rollout of the current version ${currentVersion ?? '(none)'} is recorded (${TAG_ROLLOUT_VERSION}), so tasks may still run a version that does not accept the next key`,
    );
  }
  const versionCreatedAt = await ctx.store.versionCreatedDate(ctx.secretId, record.versionId);
  const verdict = await verifiedRolloutVerdict(
    ecsClient(),
    readEcsTarget(),
    { record, versionCreatedAt },
    rolloutRecordMismatch(ctx.secretId),
  );
  if (verdict.state !== 'rolled-out') {
    throw new Error(
      `Secret ${ctx.secretId}: refusing to rotate until the rollout of version ${currentVersion} is complete: ${describeVerdict(verdict)}`,
    );
  }
  logger.info('Rollout of the current version is complete', { deploymentId: verdict.deploymentId });
}

/**
 * Runbook "AUTH_SECRET", without signing anyone out: a key ring with a pre-published next key. Each rotation is one
 * step (see {@link nextRing}); a step that changes the signing key first requires the previous rollout to be
 * complete, so every serving task accepts every key another serving task signs with. Then roll ECS.
 */
export const authSecretPlaybook: RotationPlaybook = {
  checkConfiguration: () => {
    readEcsTarget();
  },
  generate: async (current, ctx) => {
    const ring = parseRing(current, `Secret ${ctx.secretId}: AWSCURRENT`);
    const request = rekeyRequest(ctx.description.tags, ctx.token, new Date());
    if (request !== undefined) {
      // Emergency re-key (`fleapo-secrets contain AUTH_SECRET --sign-everyone-out`): every key of the leaked ring is
      // dropped at once. It signs everyone out, so it does not wait for the previous rollout. Recorded before the
      // value is staged, so testSecret accepts this fresh ring for this token only.
      await ctx.store.tag(ctx.secretId, { [TAG_REKEYED_VERSION]: rekeyedTagValue(request, ctx.token) });
      logger.warn('Emergency re-key requested: staging a fresh key ring (every session will be signed out)', { requestedAt: request });
      return JSON.stringify(freshRing(generateAuthSecret(), generateAuthSecret()));
    }
    if (ring.next !== undefined) await requireCurrentRolledOut(ctx);
    return JSON.stringify(nextRing(ring, generateAuthSecret()));
  },
  set: async () => undefined,
  test: async (pending, ctx) => {
    const pendingRing = parseRing(pending, `Secret ${ctx.secretId}: AWSPENDING`);
    const current = parseRing(await ctx.store.getString(ctx.secretId, AWSCURRENT), `Secret ${ctx.secretId}: AWSCURRENT`);
    const request = rekeyRequest(ctx.description.tags, ctx.token, new Date());
    if (request !== undefined && ctx.description.tags[TAG_REKEYED_VERSION] === rekeyedTagValue(request, ctx.token)) {
      if (!isFreshRing(current, pendingRing)) {
        throw new Error(
          `Secret ${ctx.secretId}: re-key requested, but ${AWSPENDING} still holds a key of the AWSCURRENT ring, or has a previous key`,
        );
      }
      return;
    }
    if (!isSuccessor(current, pendingRing)) {
      throw new Error(
        `Secret ${ctx.secretId}: ${AWSPENDING} is not the next step of the AWSCURRENT key ring (its current key must be the published next key)`,
      );
    }
  },
  afterFinish: (ctx) => rollServiceOnce(ctx, ecsClient(), readEcsTarget()),
};
