import { SECRETS, type SecretEntry } from '../../catalog/secrets';
import type { Issuer, IssuerRegistry } from './issuer';
import { posthog } from './posthog';
import { stripe } from './stripe';

/**
 * The issuer registry: one entry per issuer the catalog names, in the order values are classified and listed. A catalog
 * entry naming a new issuer, or a new secret of an issuer, fails to compile here until the issuer's file describes it.
 */
export const ISSUERS = { stripe, posthog } satisfies IssuerRegistry<typeof SECRETS>;

/** A catalog and the registry of its issuers. */
export interface IssuerBook {
  readonly secrets: Readonly<Record<string, SecretEntry>>;
  readonly issuers: Readonly<Record<string, Issuer>>;
}

/** The shipped catalog and registry: what every lookup of `index.ts` uses unless given another book. */
export const SHIPPED_ISSUERS: IssuerBook = { secrets: SECRETS, issuers: ISSUERS };
