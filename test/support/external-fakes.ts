import { randomBytes } from 'node:crypto';

/**
 * Fake Stripe / PostHog values, assembled at run time (no secret-looking literal in the source: the repository's
 * secret scan stays green) and random per call. Never print them: tests compare and hash.
 */
const alnum = (n: number): string => {
  let out = '';
  while (out.length < n)
    out += randomBytes(n)
      .toString('base64')
      .replace(/[^0-9A-Za-z]/g, '');
  return out.slice(0, n);
};
const u = '_';

export const fakeExternal = {
  stripeSecret: (mode: 'live' | 'test'): string => ['sk', mode, alnum(40)].join(u),
  stripeRestricted: (mode: 'live' | 'test'): string => ['rk', mode, alnum(40)].join(u),
  webhookSecret: (): string => ['whsec', alnum(32)].join(u),
  posthogProject: (): string => ['phc', alnum(43)].join(u),
  posthogPersonal: (): string => ['phx', alnum(43)].join(u),
};
