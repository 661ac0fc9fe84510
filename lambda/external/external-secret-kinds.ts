/**
 * The externally issued secrets (runbook "STRIPE_*" and "POSTHOG_API_KEY"): which forms a new value may take.
 * The kinds themselves are the catalog's (catalog/secrets.ts). Pure: used by the rotation function (createSecret,
 * testSecret) and by the operator CLI before staging.
 *
 * Every message here names kinds, modes and key *types* (a documented prefix such as `sk_test_`), never
 * any part of the value itself.
 */

import { assertNever } from '../../catalog/assert-never';
import type { ExternalSecretKind, StripeMode } from '../../catalog/secrets';

/** What a value looks like, by its documented prefix (docs/aws-facts.md, "Stripe" and "PostHog"). */
type ValueType =
  | { issuer: 'stripe'; key: 'secret' | 'restricted'; mode: StripeMode }
  | { issuer: 'stripe'; key: 'webhook' }
  | { issuer: 'posthog'; key: 'project' | 'personal' | 'project-secret' }
  | { issuer: 'unknown' };

const PREFIXES: readonly [string, ValueType][] = [
  ['sk_live_', { issuer: 'stripe', key: 'secret', mode: 'live' }],
  ['sk_test_', { issuer: 'stripe', key: 'secret', mode: 'test' }],
  ['rk_live_', { issuer: 'stripe', key: 'restricted', mode: 'live' }],
  ['rk_test_', { issuer: 'stripe', key: 'restricted', mode: 'test' }],
  ['whsec_', { issuer: 'stripe', key: 'webhook' }],
  ['phc_', { issuer: 'posthog', key: 'project' }],
  ['phx_', { issuer: 'posthog', key: 'personal' }],
  ['phs_', { issuer: 'posthog', key: 'project-secret' }],
];

function classify(value: string): { prefix: string; type: ValueType } {
  for (const [prefix, type] of PREFIXES) if (value.startsWith(prefix)) return { prefix, type };
  return { prefix: '', type: { issuer: 'unknown' } };
}

/** Human name of a value's type, from its prefix only. */
function describeType(value: string): string {
  const { prefix, type } = classify(value);
  switch (type.issuer) {
    case 'unknown':
      return 'a value with none of the known Stripe or PostHog prefixes';
    case 'stripe':
      if (type.key === 'webhook') return `a Stripe webhook signing secret (${prefix})`;
      return `a ${type.mode}-mode Stripe ${type.key === 'secret' ? 'secret' : 'restricted'} key (${prefix})`;
    case 'posthog':
      return type.key === 'project'
        ? `a PostHog project token (${prefix})`
        : type.key === 'personal'
          ? `a PostHog personal API key (${prefix})`
          : `a PostHog project secret token (${prefix})`;
  }
}

/** Shortest body accepted after the prefix (real values are far longer; this catches truncated pastes). */
export const MIN_BODY_LENGTH = 16;
const STRIPE_KEY_BODY = /^[0-9A-Za-z]+$/;
const WEBHOOK_BODY = /^[0-9A-Za-z+/=]+$/;
const POSTHOG_BODY = /^[0-9A-Za-z_-]+$/;

function bodyProblem(value: string, prefix: string, allowed: RegExp, what: string): string | undefined {
  const body = value.slice(prefix.length);
  if (body.length < MIN_BODY_LENGTH) return `it is too short for ${what} (${value.length} characters: truncated?)`;
  if (!allowed.test(body)) return `it contains characters ${what} never has`;
  return undefined;
}

/**
 * Why `value` is not acceptable as the new value of `kind` in `mode`, or undefined when its form is right.
 * `mode` is required for `stripe-secret-key` (throws otherwise: a configuration error, not a value problem).
 */
export function externalSecretFormProblem(kind: ExternalSecretKind, value: string, mode?: StripeMode): string | undefined {
  if (value === '') return 'it is empty';
  if (/\s/.test(value)) return 'it contains whitespace or a line break (copy the key alone)';
  const { prefix, type } = classify(value);
  const seen = describeType(value);
  switch (kind) {
    case 'stripe-secret-key': {
      if (mode === undefined) throw new Error('A Stripe secret key is checked against a mode (live or test): none given');
      if (type.issuer !== 'stripe' || type.key === 'webhook') {
        return `a Stripe secret or restricted key (sk_${mode}_ or rk_${mode}_) is expected, but it is ${seen}`;
      }
      if (type.mode !== mode) {
        return `it is ${seen}, but this environment takes ${mode}-mode keys (sk_${mode}_ or rk_${mode}_)`;
      }
      return bodyProblem(value, prefix, STRIPE_KEY_BODY, 'a Stripe key');
    }
    case 'stripe-webhook-secret':
      if (type.issuer !== 'stripe' || type.key !== 'webhook') {
        return `a Stripe webhook signing secret (whsec_, from the webhook endpoint's settings) is expected, but it is ${seen}`;
      }
      return bodyProblem(value, prefix, WEBHOOK_BODY, 'a webhook signing secret');
    case 'posthog-api-key':
      if (type.issuer === 'posthog' && type.key === 'personal') {
        return `it is ${seen}: POSTHOG_API_KEY is the project token (phc_, Project settings), never a personal API key, which can read and change the whole organisation`;
      }
      if (type.issuer !== 'posthog' || type.key !== 'project') {
        return `a PostHog project token (phc_) is expected, but it is ${seen}`;
      }
      return bodyProblem(value, prefix, POSTHOG_BODY, 'a PostHog project token');
    default:
      return assertNever(kind);
  }
}

/** Whether a Stripe secret-kind value is a restricted key (`rk_`), which may lack the Balance read permission. */
export function isRestrictedStripeKey(value: string): boolean {
  const { type } = classify(value);
  return type.issuer === 'stripe' && type.key === 'restricted';
}
