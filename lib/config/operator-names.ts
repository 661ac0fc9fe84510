/**
 * The names of an environment's operator roles (lib/constructs/operator-roles.ts), which the secrets' resource
 * policies admit and the CLI's users assume: one place, read by the stack, the tests and the docs.
 */

/** The two operator roles: `read` (status, CloudTrail lookups; no value) and `rotate` (stage, rotate, roll-current). */
export type OperatorRoleKind = 'read' | 'rotate';

/** `fleapo-<env>-operator-read` or `fleapo-<env>-operator-rotate`. */
export function operatorRoleName(environmentName: string, kind: OperatorRoleKind): string {
  return `fleapo-${environmentName}-operator-${kind}`;
}
