/**
 * Stripe (runbook "STRIPE_*"): STRIPE_SECRET_KEY (a secret `sk_` or restricted `rk_` key of the environment's mode)
 * and STRIPE_WEBHOOK_SECRET (`whsec_`). Both old values stay valid until the operator revokes them (an API key's
 * roll overlap, a signing secret's overlap): the revoke notice says when. Facts: docs/aws-facts.md, "Stripe".
 */
import type { Catalog } from '../../catalog/secrets';
import {
  bodyProblem,
  hostOf,
  IssuerCheckError,
  issuerRequest,
  jsonBody,
  redirectProblem,
  type Issuer,
  type IssuerCheckResult,
  type IssuerEntries,
} from './issuer';

/** The Stripe modes: `live` in prod, `test` in staging. */
export const STRIPE_MODES = ['live', 'test'] as const;
export type StripeMode = (typeof STRIPE_MODES)[number];

const STRIPE_API_BASE = { env: 'STRIPE_API_BASE', default: 'https://api.stripe.com' };
const STRIPE_KEY_BODY = /^[0-9A-Za-z]+$/;
const WEBHOOK_BODY = /^[0-9A-Za-z+/=]+$/;

/** Whether a Stripe secret-kind value is a restricted key (`rk_`), which may lack the Balance read permission. */
export function isRestrictedStripeKey(value: string): boolean {
  return value.startsWith('rk_live_') || value.startsWith('rk_test_');
}

function stripeErrorType(body: unknown): string | undefined {
  const type = (body as { error?: { type?: unknown } } | undefined)?.error?.type;
  return typeof type === 'string' && /^[a-z_]{1,64}$/.test(type) ? type : undefined;
}

/**
 * Stripe secret or restricted key: `GET /v1/balance` (read-only). 200 with `livemode` equal to the mode: ok.
 * 403 from a restricted key: it authenticated but lacks the Balance read permission: accepted with a warning
 * (its mode was checked by its prefix only). Anything else fails. Messages name the host, the HTTP status and
 * Stripe's error *type*, never the value nor the response text (Stripe's message quotes the key's last characters).
 */
export async function checkStripeKey(
  key: string,
  mode: StripeMode,
  apiBase: string,
  options: { restricted: boolean; timeoutMs?: number },
): Promise<IssuerCheckResult> {
  const url = `${apiBase.replace(/\/+$/, '')}/v1/balance`;
  const host = hostOf(apiBase);
  const response = await issuerRequest(
    'The Stripe API',
    url,
    { method: 'GET', headers: { Authorization: `Bearer ${key}` } },
    options.timeoutMs,
  );
  const redirect = redirectProblem('The Stripe API', host, response, STRIPE_API_BASE.env);
  if (redirect) throw new IssuerCheckError(redirect);
  const body = await jsonBody(response);
  const type = stripeErrorType(body);
  if (response.status === 200) {
    const livemode = (body as { livemode?: unknown } | undefined)?.livemode;
    if (typeof livemode !== 'boolean') {
      throw new IssuerCheckError(`Stripe at ${host} answered /v1/balance without a livemode field: not the Stripe API?`);
    }
    if (livemode !== (mode === 'live')) {
      throw new IssuerCheckError(
        livemode
          ? `Stripe says the staged key is a live-mode key, but this is a test environment (STRIPE_MODE=test)`
          : `Stripe says the staged key is a test-mode key, but this is a live environment (STRIPE_MODE=live): a test-mode key for a live environment is refused`,
      );
    }
    return {};
  }
  if (response.status === 401) {
    throw new IssuerCheckError(`Stripe rejected the key (HTTP 401${type ? ` ${type}` : ''}): it is wrong, expired or already revoked`);
  }
  if (response.status === 403 && options.restricted) {
    return {
      warning: `Stripe accepted the restricted key but it lacks the Balance read permission (HTTP 403${type ? ` ${type}` : ''}); its mode was checked by its prefix only`,
    };
  }
  if (response.status === 403) {
    throw new IssuerCheckError(
      `Stripe refused a secret key the Balance read (HTTP 403${type ? ` ${type}` : ''}): a full secret key always has it`,
    );
  }
  throw new IssuerCheckError(
    `Stripe at ${host} answered /v1/balance with HTTP ${response.status}${type ? ` ${type}` : ''}; the check is retried with the rotation`,
    { retryable: true },
  );
}

const notRevokedYet = (what: string, step: string) =>
  `${what} (step ${step}): do NOT revoke the old key: it must stay active in the Stripe Dashboard until a rollout with the new key has completed.`;

export const stripe = {
  name: 'Stripe',
  prefixes: [
    { prefix: 'sk_live_', key: 'secret', mode: 'live', description: 'a live-mode Stripe secret key' },
    { prefix: 'sk_test_', key: 'secret', mode: 'test', description: 'a test-mode Stripe secret key' },
    { prefix: 'rk_live_', key: 'restricted', mode: 'live', description: 'a live-mode Stripe restricted key' },
    { prefix: 'rk_test_', key: 'restricted', mode: 'test', description: 'a test-mode Stripe restricted key' },
    { prefix: 'whsec_', key: 'webhook', description: 'a Stripe webhook signing secret' },
  ],
  valuePatterns: [
    { id: 'stripe-secret-key', description: 'a Stripe secret key (sk_live_/sk_test_)', pattern: /\bsk_(?:live|test)_[0-9A-Za-z]{10,}/ },
    {
      id: 'stripe-restricted-key',
      description: 'a Stripe restricted key (rk_live_/rk_test_)',
      pattern: /\brk_(?:live|test)_[0-9A-Za-z]{10,}/,
    },
    { id: 'stripe-webhook-secret', description: 'a Stripe webhook signing secret (whsec_)', pattern: /\bwhsec_[0-9A-Za-z+/=]{10,}/ },
  ],
  origin: STRIPE_API_BASE,
  mode: { env: 'STRIPE_MODE', configKey: 'stripeMode', values: STRIPE_MODES },
  secrets: {
    STRIPE_SECRET_KEY: {
      needsMode: true,
      formProblem: (value, { mode, match, seen }) => {
        if (mode === undefined) throw new Error('A Stripe secret key is checked against a mode (live or test): none given');
        const prefix = match?.issuer === 'stripe' ? match.prefix : undefined;
        if (prefix === undefined || prefix.key === 'webhook') {
          return `a Stripe secret or restricted key (sk_${mode}_ or rk_${mode}_) is expected, but it is ${seen}`;
        }
        if (prefix.mode !== mode) return `it is ${seen}, but this environment takes ${mode}-mode keys (sk_${mode}_ or rk_${mode}_)`;
        return bodyProblem(value, prefix.prefix, STRIPE_KEY_BODY, 'a Stripe key');
      },
      liveCheck: (value, { origin, mode, timeoutMs }) =>
        checkStripeKey(value, mode as StripeMode, origin, { restricted: isRestrictedStripeKey(value), timeoutMs }),
      checkedLog: 'Stripe accepted the key',
      dashboard: 'https://dashboard.stripe.com/apikeys',
      revoke: { how: 'in the Stripe Dashboard (Developers > API keys: expire the old key)' },
      operator: {
        formHint: 'sk_live_/rk_live_ in a live environment, sk_test_/rk_test_ in a test one',
        rolledOut:
          "Rollout complete: now revoke the old key in the Stripe Dashboard (Developers > API keys: expire the old key now instead of waiting for the roll's overlap to end).",
        notComplete: notRevokedYet,
      },
    },
    STRIPE_WEBHOOK_SECRET: {
      formProblem: (value, { match, seen }) => {
        if (match?.issuer !== 'stripe' || match.prefix.key !== 'webhook') {
          return `a Stripe webhook signing secret (whsec_, from the webhook endpoint's settings) is expected, but it is ${seen}`;
        }
        return bodyProblem(value, match.prefix.prefix, WEBHOOK_BODY, 'a webhook signing secret');
      },
      // Stripe offers no API to check a webhook signing secret (it only signs events with it): the form check is all
      // that can be proved before the app verifies real events with it.
      checkedLog: 'Webhook signing secret: form checked (Stripe offers no check of the secret itself)',
      dashboard: 'https://dashboard.stripe.com/webhooks',
      revoke: { how: "in the Stripe Dashboard (Developers > Webhooks > the endpoint > signing secret: end the old secret's overlap)" },
      operator: {
        formHint: 'whsec_',
        rolledOut:
          "Rollout complete: now revoke the old key in the Stripe Dashboard (Developers > Webhooks > the endpoint > signing secret: end the old secret's overlap now).",
        notComplete: notRevokedYet,
      },
    },
  },
} satisfies Issuer<IssuerEntries<Catalog, 'stripe'>>;
