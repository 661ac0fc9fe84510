import { externalSecretFormProblem } from '../../runtime/issuers';
import { isRestrictedStripeKey } from '../../runtime/issuers/stripe';
import { fakeExternal } from '../support/external-fakes';

/** The form check shared by the rotation function and the CLI. Messages never contain the value. */
const problem = (...args: Parameters<typeof externalSecretFormProblem>) => {
  const p = externalSecretFormProblem(...args);
  if (p !== undefined) expect(p.includes(args[1]) && args[1].length > 0).toBe(false);
  return p;
};

test("Stripe secret keys: sk_/rk_ of the environment's mode only", () => {
  expect(problem('STRIPE_SECRET_KEY', fakeExternal.stripeSecret('live'), 'live')).toBeUndefined();
  expect(problem('STRIPE_SECRET_KEY', fakeExternal.stripeRestricted('live'), 'live')).toBeUndefined();
  expect(problem('STRIPE_SECRET_KEY', fakeExternal.stripeSecret('test'), 'test')).toBeUndefined();
  expect(problem('STRIPE_SECRET_KEY', fakeExternal.stripeRestricted('test'), 'live')).toBe(
    'it is a test-mode Stripe restricted key (rk_test_), but this environment takes live-mode keys (sk_live_ or rk_live_)',
  );
  expect(problem('STRIPE_SECRET_KEY', fakeExternal.webhookSecret(), 'live')).toBe(
    'a Stripe secret or restricted key (sk_live_ or rk_live_) is expected, but it is a Stripe webhook signing secret (whsec_)',
  );
  expect(problem('STRIPE_SECRET_KEY', fakeExternal.posthogProject(), 'test')).toContain('but it is a PostHog project token (phc_)');
  expect(() => externalSecretFormProblem('STRIPE_SECRET_KEY', fakeExternal.stripeSecret('live'))).toThrow('none given');
});

test('webhook secrets and PostHog tokens; mode does not matter for them', () => {
  expect(problem('STRIPE_WEBHOOK_SECRET', fakeExternal.webhookSecret(), 'live')).toBeUndefined();
  expect(problem('STRIPE_WEBHOOK_SECRET', fakeExternal.webhookSecret())).toBeUndefined();
  expect(problem('STRIPE_WEBHOOK_SECRET', fakeExternal.stripeSecret('live'))).toContain('a Stripe webhook signing secret (whsec_');
  expect(problem('POSTHOG_API_KEY', fakeExternal.posthogProject())).toBeUndefined();
  expect(problem('POSTHOG_API_KEY', fakeExternal.posthogPersonal())).toMatch(
    /^it is a PostHog personal API key \(phx_\): POSTHOG_API_KEY is the project token/,
  );
  expect(problem('POSTHOG_API_KEY', ['phs', fakeExternal.posthogProject().slice(4)].join('_'))).toBe(
    'a PostHog project token (phc_) is expected, but it is a PostHog project secret token (phs_)',
  );
});

test('empty, whitespace, truncated and stray characters', () => {
  const key = fakeExternal.stripeSecret('live');
  expect(problem('STRIPE_SECRET_KEY', '', 'live')).toBe('it is empty');
  expect(problem('STRIPE_SECRET_KEY', `${key}\n`, 'live')).toBe('it contains whitespace or a line break (copy the key alone)');
  expect(problem('STRIPE_SECRET_KEY', ` ${key}`, 'live')).toBe('it contains whitespace or a line break (copy the key alone)');
  expect(problem('STRIPE_SECRET_KEY', key.slice(0, 14), 'live')).toBe('it is too short for a Stripe key (14 characters: truncated?)');
  expect(problem('STRIPE_SECRET_KEY', `${key}!`, 'live')).toBe('it contains characters a Stripe key never has');
  expect(problem('POSTHOG_API_KEY', 'hello world')).toContain('whitespace');
  expect(problem('POSTHOG_API_KEY', 'x'.repeat(40))).toBe(
    'a PostHog project token (phc_) is expected, but it is a value with none of the known Stripe or PostHog prefixes',
  );
  expect(isRestrictedStripeKey(fakeExternal.stripeRestricted('test'))).toBe(true);
  expect(isRestrictedStripeKey(key)).toBe(false);
});
