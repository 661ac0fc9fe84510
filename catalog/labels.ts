/**
 * The custom staging label of a value the operator staged for the next rotation (`fleapo-secrets stage`).
 * AWSCURRENT does not move when it is attached; the rotation function reads it at createSecret and removes it
 * once the value it carries is current.
 */
export const STAGED_LABEL = 'FLEAPO_STAGED';
