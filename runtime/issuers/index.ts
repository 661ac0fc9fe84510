/**
 * The issuer registry's lookups. The registry (`registry.ts`) has one entry per issuer the catalog (catalog/secrets.ts)
 * names, each from its own file here. The lookups take an {@link IssuerBook} (a catalog and its registry): the shipped
 * one by default, a test's own to prove that a sixth issuer needs nothing else (test/lambda/sixth-issuer.test.ts).
 */
import type { ExternalSecretName } from '../../catalog/secrets';
import type { FormContext, IssuedSecret, Issuer, SecretValuePattern } from './issuer';
import { SHIPPED_ISSUERS, type IssuerBook } from './registry';

export { ISSUERS, SHIPPED_ISSUERS, type IssuerBook } from './registry';

/** An issuer-created secret of a catalog with its issuer's entry: found by the secret's catalog name, never by its suffix. */
export interface IssuedSecretRef {
  /** The catalog name, e.g. `STRIPE_SECRET_KEY`. */
  readonly name: string;
  /** The catalog suffix, e.g. `stripe-secret-key` (the kind a value is refused as, in messages). */
  readonly suffix: string;
  readonly issuerId: string;
  readonly issuer: Issuer;
  readonly secret: IssuedSecret;
  /** The catalog's `revokeNotice`. */
  readonly revokeNotice: boolean;
}

/** The issuer-created secret `name` of `book`, or undefined when `name` is none. */
export function findIssuedSecret(name: string, book: IssuerBook = SHIPPED_ISSUERS): IssuedSecretRef | undefined {
  const entry = Object.hasOwn(book.secrets, name) ? book.secrets[name] : undefined;
  if (entry?.origin !== 'issuer-created') return undefined;
  const issuer = book.issuers[entry.issuer];
  const secret = issuer?.secrets[name];
  // The registry's type rules this out for a type-checked book: said clearly all the same.
  if (secret === undefined) throw new Error(`The issuer registry has no entry for ${name} (issuer ${entry.issuer})`);
  return { name, suffix: entry.suffix, issuerId: entry.issuer, issuer, secret, revokeNotice: entry.revokeNotice === true };
}

/** The shipped issuer-created secret `name` with its issuer's entry. */
export function issuedSecret(name: ExternalSecretName): IssuedSecretRef {
  return findIssuedSecret(name)!;
}

/** The names of `book`'s issuer-created secrets, in catalog order. */
export function issuedSecretNames(book: IssuerBook = SHIPPED_ISSUERS): string[] {
  return Object.keys(book.secrets).filter((name) => book.secrets[name].origin === 'issuer-created');
}

/** `a, b or c` (`and` for `joiner: 'and'`). */
export function listInWords(words: readonly string[], joiner: 'or' | 'and' = 'or'): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} ${joiner} ${words[words.length - 1]}`;
}

/** The issuers' names, in registry order: `Stripe`, `PostHog`. */
export function issuerNames(book: IssuerBook = SHIPPED_ISSUERS): string[] {
  return Object.values(book.issuers).map((issuer) => issuer.name);
}

/** Every documented prefix of the issuers' values (`sk_live_`, `whsec_`, `phc_`...), in registry order. */
export function valuePrefixes(book: IssuerBook = SHIPPED_ISSUERS): string[] {
  return Object.values(book.issuers).flatMap((issuer) => issuer.prefixes.map((p) => p.prefix));
}

/** The first documented prefix `value` starts with, and whose it is. */
function classify(value: string, book: IssuerBook): FormContext['match'] {
  for (const [issuer, entry] of Object.entries(book.issuers)) {
    const prefix = entry.prefixes.find((p) => value.startsWith(p.prefix));
    if (prefix !== undefined) return { issuer, prefix };
  }
  return undefined;
}

/**
 * Why `value` is not acceptable as the new value of the issuer-created secret `name` in `mode`, or undefined when its
 * form is right. The mode is required for a secret whose issuer checks it (throws otherwise: a configuration error,
 * not a value problem). Pure: used by the rotation function (createSecret, testSecret) and by the CLI before staging.
 */
export function externalSecretFormProblem(
  name: string,
  value: string,
  mode?: string,
  book: IssuerBook = SHIPPED_ISSUERS,
): string | undefined {
  const ref = findIssuedSecret(name, book);
  if (ref === undefined) throw new Error(`${name} is not an issuer-created secret`);
  if (value === '') return 'it is empty';
  if (/\s/.test(value)) return 'it contains whitespace or a line break (copy the key alone)';
  const match = classify(value, book);
  const seen = match
    ? `${match.prefix.description} (${match.prefix.prefix})`
    : `a value with none of the known ${listInWords(issuerNames(book))} prefixes`;
  return ref.secret.formProblem(value, { mode, match, seen });
}

/** The values that are an issuer's secret by their shape (the guardrails' value scan), in registry order. */
export function issuerValuePatterns(book: IssuerBook = SHIPPED_ISSUERS): SecretValuePattern[] {
  return Object.values(book.issuers).flatMap((issuer) => [...issuer.valuePatterns]);
}

/**
 * The external-secret rotation function's issuer settings from the environment's `externalServices` configuration:
 * every issuer's mode and configured origin (one function checks one secret, but every origin is checked at its
 * start). Throws naming the configuration key an issuer needs and the configuration lacks.
 */
export function issuerSettingsEnvironment(
  externalServices: Readonly<Record<string, unknown>>,
  book: IssuerBook = SHIPPED_ISSUERS,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const issuer of Object.values(book.issuers)) {
    for (const setting of [issuer.mode, issuer.origin]) {
      if (setting?.configKey === undefined) continue;
      const value = externalServices[setting.configKey];
      if (typeof value !== 'string') throw new Error(`externalServices.${setting.configKey} (${issuer.name}) is not configured`);
      env[setting.env] = value;
    }
  }
  return env;
}

/** The mode the CLI checks a new value of `name` in: from the configuration, when its issuer checks it. */
export function configuredMode(
  name: string,
  externalServices: Readonly<Record<string, unknown>>,
  book: IssuerBook = SHIPPED_ISSUERS,
): string | undefined {
  const ref = findIssuedSecret(name, book);
  if (!ref?.secret.needsMode || ref.issuer.mode === undefined) return undefined;
  const mode = externalServices[ref.issuer.mode.configKey];
  return typeof mode === 'string' ? mode : undefined;
}

export * from './issuer';
