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
 * compares deployment and task times against it (lambda/rotation/rollout-verdict.ts).
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
/** On a Stripe secret: the version whose "the old key may now be revoked" notice was published. */
export const TAG_REVOKE_NOTICE_VERSION = 'fleapo:revoke-notice-version';

/** The rollout record: what a rotation (or `fleapo-secrets roll-current`) writes after it rolled the service. */
export const ROLLOUT_TAG_KEYS = [TAG_ROLLOUT_VERSION, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_CREATED_AT];
/** The tag keys a rotation function writes when a step fails (read by `fleapo-secrets` and its `status`). */
export const REFUSAL_TAG_KEYS = [TAG_REFUSED_VERSION, TAG_REFUSAL, TAG_REFUSED_AT];
/** Every tag key a rotation function may write on its own secret: the rollout record and the refusal record. */
export const ROTATION_TAG_KEYS = [...ROLLOUT_TAG_KEYS, ...REFUSAL_TAG_KEYS];
