/**
 * Tags the rotation and retirement functions write on a rotated secret: rollout bookkeeping, never a value.
 * The CDK side allows `secretsmanager:TagResource` for exactly these keys.
 */

/** The version id whose rollout was started. */
export const TAG_ROLLOUT_VERSION = 'fleapo:rollout-version';
/** The PRIMARY ECS deployment id that rollout started (`ecs-svc/...`). */
export const TAG_ROLLOUT_DEPLOYMENT = 'fleapo:rollout-deployment';
/**
 * When that deployment was created, as ECS reports it (ISO 8601): the time T from which the version is known to be
 * AWSCURRENT (it moved before the deployment was created), in ECS's own clock. Every "rolled out everywhere" decision
 * compares deployment and task times against it (runtime/rollout-verdict.ts).
 */
export const TAG_ROLLOUT_CREATED_AT = 'fleapo:rollout-created-at';
/** On the database-url secret: the deployment id whose old database role was retired. */
export const TAG_RETIRED_DEPLOYMENT = 'fleapo:retired-deployment';
/** On the database-url secret: the role the AWSCURRENT URL logs in as (a name, not a credential). */
export const TAG_DATABASE_ROLE = 'fleapo:database-role';
/** The version (rotation token) whose rotation step last failed. */
export const TAG_REFUSED_VERSION = 'fleapo:refused-version';
/** Why it failed: `<step>: <the error message>` (messages never carry a value), cut to a tag value's limits. */
export const TAG_REFUSAL = 'fleapo:refusal';
/**
 * When that step failed (ISO 8601): each failed attempt rewrites it, so `fleapo-secrets` tells Secrets Manager's
 * retries of a failed rotation (same version, a later time) from a rotation that stopped.
 */
export const TAG_REFUSED_AT = 'fleapo:refused-at';
/**
 * Whether that failure is final (`true`: a retry fails the same way, e.g. a malformed key or one the issuer rejects) or
 * may pass when Secrets Manager retries the rotation (`false`: a throttle, a network problem). `fleapo-secrets` reports
 * a final one at once and follows the other through the retries.
 */
export const TAG_REFUSAL_FINAL = 'fleapo:refusal-final';
/**
 * The marker of the AWSPENDING value a rotation created: base64url SHA-256 over the version id, a NUL and the value
 * (lambda/rotation/pending-marker.ts). Written by the rotation function just before it stores the value; setSecret,
 * testSecret and finishSecret act only on a pending value that matches it. A commitment, not a value: the values it
 * covers hold at least 256 random bits, so it cannot be inverted.
 */
export const TAG_PENDING = 'fleapo:pending';
/** On a Stripe secret: the version whose "the old key may now be revoked" notice was published. */
export const TAG_REVOKE_NOTICE_VERSION = 'fleapo:revoke-notice-version';

/** The rollout record: what a rotation (or `fleapo-secrets roll-current`) writes after it rolled the service. */
export const ROLLOUT_TAG_KEYS = [TAG_ROLLOUT_VERSION, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_CREATED_AT];
/** The tag keys a rotation function writes when a step fails (read by `fleapo-secrets` and its `status`). */
export const REFUSAL_TAG_KEYS = [TAG_REFUSED_VERSION, TAG_REFUSAL, TAG_REFUSED_AT, TAG_REFUSAL_FINAL];
/**
 * Every tag key a rotation function may write on its own secret: the rollout record, the refusal record and the
 * pending marker. Nobody else may write TAG_PENDING (not the operator's roll-current, which writes the rollout keys).
 */
export const ROTATION_TAG_KEYS = [...ROLLOUT_TAG_KEYS, ...REFUSAL_TAG_KEYS, TAG_PENDING];

/**
 * On the auth-secret: an emergency re-key was requested (`fleapo-secrets contain AUTH_SECRET --sign-everyone-out`):
 * the ISO time of the request. The rotation whose createSecret starts after it (and within
 * {@link REKEY_REQUEST_MAX_AGE_MS}) makes a fresh ring (new `current` and `next`, no `previous`) instead of the next
 * step, and its testSecret accepts that fresh ring only under the same request. Written by the operator, never a value.
 */
export const TAG_REKEY_REQUESTED = 'fleapo:rekey-requested';
/** How long a re-key request stays valid: a stale tag never turns a later scheduled rotation into a sign-out. */
export const REKEY_REQUEST_MAX_AGE_MS = 30 * 60 * 1000;
/** On the auth-secret: the rotation token that made a fresh ring under a re-key request (written by the function). */
export const TAG_REKEYED_VERSION = 'fleapo:rekeyed-version';
/**
 * On a contained secret: when `fleapo-secrets contain` started containing it (ISO time) and the rotation token it
 * started. A second run after an interruption reads them and continues where the first stopped.
 */
export const TAG_CONTAIN_STARTED = 'fleapo:contain-started';
export const TAG_CONTAIN_VERSION = 'fleapo:contain-version';
/**
 * On a contained issuer-created secret: when the operator confirmed (`contain --revoked`, after the containment said
 * "revoke the leaked key now") that the leaked key is revoked at the issuer (ISO time).
 */
export const TAG_CONTAIN_REVOKED = 'fleapo:contain-revoked';
/** The tag keys `fleapo-secrets contain` writes (the operator-rotate role's TagResource is limited to these). */
export const CONTAIN_TAG_KEYS = [TAG_REKEY_REQUESTED, TAG_CONTAIN_STARTED, TAG_CONTAIN_VERSION, TAG_CONTAIN_REVOKED];
