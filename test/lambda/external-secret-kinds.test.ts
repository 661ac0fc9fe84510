import { externalSecretFormProblem, isRestrictedStripeKey } from '../../lambda/external/external-secret-kinds';
import { fakeExternal } from '../support/external-fakes';

/** The form check shared by the rotation function and the CLI. Messages never contain the value. */
const problem = (...args: Parameters<typeof externalSecretFormProblem>) => {
  const p = externalSecretFormProblem(...args);
  if (p !== undefined) expect(p.includes(args[1]) && args[1].length > 0).toBe(false);
  return p;
};

test("Stripe secret keys: sk_/rk_ of the environment's mode only", () => {
  expect(problem('stripe-secret-key', fakeExternal.stripeSecret('live'), 'live')).toBeUndefined();
  expect(problem('stripe-secret-key', fakeExternal.stripeRestricted('live'), 'live')).toBeUndefined();
  expect(problem('stripe-secret-key', fakeExternal.stripeSecret('test'), 'test')).toBeUndefined();
  expect(problem('stripe-secret-key', fakeExternal.stripeRestricted('test'), 'live')).toBe(
    'it is a test-mode Stripe restricted key (rk_test_), but this environment takes live-mode keys (sk_live_ or rk_live_)',
  );
  expect(problem('stripe-secret-key', fakeExternal.webhookSecret(), 'live')).toBe(
    'a Stripe secret or restricted key (sk_live_ or rk_live_) is expected, but it is a Stripe webhook signing secret (whsec_)',
  );
  expect(problem('stripe-secret-key', fakeExternal.posthogProject(), 'test')).toContain('but it is a PostHog project token (phc_)');
  expect(() => externalSecretFormProblem('stripe-secret-key', fakeExternal.stripeSecret('live'))).toThrow('none given');
});

test('webhook secrets and PostHog tokens; mode does not matter for them', () => {
  expect(problem('stripe-webhook-secret', fakeExternal.webhookSecret(), 'live')).toBeUndefined();
  expect(problem('stripe-webhook-secret', fakeExternal.webhookSecret())).toBeUndefined();
  expect(problem('stripe-webhook-secret', fakeExternal.stripeSecret('live'))).toContain('a Stripe webhook signing secret (whsec_');
  expect(problem('posthog-api-key', fakeExternal.posthogProject())).toBeUndefined();
  expect(problem('posthog-api-key', fakeExternal.posthogPersonal())).toMatch(
    /^it is a PostHog personal API key \(phx_\): POSTHOG_API_KEY is the project token/,
  );
  expect(problem('posthog-api-key', ['phs', fakeExternal.posthogProject().slice(4)].join('_'))).toBe(
    'a PostHog project token (phc_) is expected, but it is a PostHog project secret token (phs_)',
  );
});

test('empty, whitespace, truncated and stray characters', () => {
  const key = fakeExternal.stripeSecret('live');
  expect(problem('stripe-secret-key', '', 'live')).toBe('it is empty');
  expect(problem('stripe-secret-key', `${key}\n`, 'live')).toBe('it contains whitespace or a line break (copy the key alone)');
  expect(problem('stripe-secret-key', ` ${key}`, 'live')).toBe('it contains whitespace or a line break (copy the key alone)');
  expect(problem('stripe-secret-key', key.slice(0, 14), 'live')).toBe('it is too short for a Stripe key (14 characters: truncated?)');
  expect(problem('stripe-secret-key', `${key}!`, 'live')).toBe('it contains characters a Stripe key never has');
  expect(problem('posthog-api-key', 'hello world')).toContain('whitespace');
  expect(problem('posthog-api-key', 'x'.repeat(40))).toBe(
    'a PostHog project token (phc_) is expected, but it is a value with none of the known Stripe or PostHog prefixes',
  );
  expect(isRestrictedStripeKey(fakeExternal.stripeRestricted('test'))).toBe(true);
  expect(isRestrictedStripeKey(key)).toBe(false);
});
