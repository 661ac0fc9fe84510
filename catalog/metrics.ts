/** Namespace of the rotation metrics the CDK side alarms on. */
export const METRIC_NAMESPACE = 'Fleapo/SecretsRotation';
export const METRIC_RETIREMENT_BLOCKED = 'RetirementBlocked';
export const METRIC_RETIREMENT_REFUSED = 'RetirementRefused';
export const METRIC_ROLE_RETIRED = 'RoleRetired';
/** The retirement cannot proceed because nothing rolls the current value out (no rollout recorded, or no deployment since). */
export const METRIC_RETIREMENT_STALLED = 'RetirementStalled';
/** A rotation rolled the service but could not tag the secret with the rollout (the retirement cannot follow it). */
export const METRIC_ROLLOUT_NOT_RECORDED = 'RolloutNotRecorded';
