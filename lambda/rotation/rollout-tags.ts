/**
 * Tags the rotation and retirement functions write on a rotated secret: rollout bookkeeping, never a value.
 * The CDK side allows `secretsmanager:TagResource` for exactly these keys.
 */

/** The version id whose rollout was started. */
export const TAG_ROLLOUT_VERSION = 'fleapo:rollout-version';
/** The PRIMARY ECS deployment id that rollout started (`ecs-svc/...`). */
export const TAG_ROLLOUT_DEPLOYMENT = 'fleapo:rollout-deployment';
/** On the database-url secret: the deployment id whose old database role was retired. */
export const TAG_RETIRED_DEPLOYMENT = 'fleapo:retired-deployment';

/** Every tag key the functions write. */
export const ROLLOUT_TAG_KEYS = [TAG_ROLLOUT_VERSION, TAG_ROLLOUT_DEPLOYMENT, TAG_RETIRED_DEPLOYMENT];
