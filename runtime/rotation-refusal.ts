/**
 * A failed rotation step that no retry can mend: the value, the secret's state or the configuration is wrong, and
 * Secrets Manager's retry of the whole rotation would fail the same way (a malformed or wrong-mode key, a key the issuer
 * rejects, an AWSPENDING value this rotation did not create, a missing setting). Any other error (a throttle, a network
 * problem, an issuer's 5xx, a permission missing while a deploy is under way) may pass on a retry.
 *
 * The engine records which it was on the secret (tag `fleapo:refusal-final`), so that `fleapo-secrets` reports a final
 * refusal at once and follows a retryable failure through Secrets Manager's retries.
 */
export class RotationRefusal extends Error {
  override readonly name: string = 'RotationRefusal';
}

/** Whether an error is a {@link RotationRefusal} (or carries `final: true`, as an issuer's answer may). */
export function isFinalRefusal(error: unknown): boolean {
  return error instanceof RotationRefusal || (error as { final?: unknown } | null)?.final === true;
}
