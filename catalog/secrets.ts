/**
 * The five secrets every environment holds: the one place each secret's name is written.
 *
 * Adding a secret is one entry here (and whatever its playbook needs): every `Record<SecretName, ...>` map and every
 * exhaustive `switch` over a {@link SecretName} or {@link Playbook} then fails to compile until it handles the new
 * entry, which names each other place to touch. An issuer-created secret names its issuer: the issuer registry
 * (`runtime/issuers/`) then fails to compile until that issuer's file describes the secret.
 */

/** Where a secret's first and later values come from. */
export type SecretOrigin =
  /** Secrets Manager generates the first value; a rotation function makes each next one. */
  | 'generated'
  /** A person creates each value at its issuer (Stripe Dashboard, PostHog project) and stages it. */
  | 'issuer-created';

/** The rotation playbook (a handler under `lambda/playbooks/`) that rotates a secret. */
export type Playbook = 'auth-secret' | 'database-url' | 'external-secret';

/** What every secret of the catalog says. Its key in {@link SECRETS} is the app's environment variable. */
interface SecretEntryBase {
  /** The secret's name below the environment prefix: `<secretPrefix>/<suffix>`, e.g. `fleapo/prod/auth-secret`. */
  readonly suffix: string;
  readonly playbook: Playbook;
  /**
   * Other names the app's libraries read the same secret under (better-auth reads `BETTER_AUTH_SECRET(S)`): the
   * guardrails treat them as this secret's name.
   * @default none
   */
  readonly aliases?: readonly string[];
}

/** A secret whose values Secrets Manager and a rotation function make. */
export interface GeneratedSecretEntry extends SecretEntryBase {
  readonly origin: 'generated';
}

/** A secret a person creates at its issuer; everything about the issuer is its file under `runtime/issuers/`. */
export interface IssuerCreatedSecretEntry extends SecretEntryBase {
  readonly origin: 'issuer-created';
  /**
   * The issuer's id: its entry in the issuer registry (`runtime/issuers/registry.ts`), which then fails to compile until
   * the issuer's file describes this secret (form, live check, texts).
   */
  readonly issuer: string;
  /**
   * Whether the old value stays valid at the issuer until the operator revokes it, so the environment announces when
   * a completed rollout makes that safe (the revoke notice, whose text is the issuer's: its entry must then say how).
   * @default false
   */
  readonly revokeNotice?: boolean;
}

/** One secret of the catalog. */
export type SecretEntry = GeneratedSecretEntry | IssuerCreatedSecretEntry;

/** The issuer ids a catalog names. */
export type IssuerIdOf<C> = {
  [N in keyof C]: C[N] extends { origin: 'issuer-created'; issuer: infer I extends string } ? I : never;
}[keyof C];

/** The names of a catalog's secrets that issuer `I` creates. */
export type SecretsOfIssuer<C, I extends string> = { [N in keyof C]: C[N] extends { issuer: I } ? N : never }[keyof C] & string;

/**
 * The secrets, in the runbook's order (the order of the task definition's `secrets` and of `fleapo-secrets status`).
 * Each key is the variable the app container receives the value in.
 */
export const SECRETS = {
  AUTH_SECRET: {
    suffix: 'auth-secret',
    origin: 'generated',
    playbook: 'auth-secret',
    aliases: ['BETTER_AUTH_SECRET', 'BETTER_AUTH_SECRETS'],
  },
  DATABASE_URL: { suffix: 'database-url', origin: 'generated', playbook: 'database-url' },
  STRIPE_SECRET_KEY: {
    suffix: 'stripe-secret-key',
    origin: 'issuer-created',
    playbook: 'external-secret',
    issuer: 'stripe',
    revokeNotice: true,
  },
  STRIPE_WEBHOOK_SECRET: {
    suffix: 'stripe-webhook-secret',
    origin: 'issuer-created',
    playbook: 'external-secret',
    issuer: 'stripe',
    revokeNotice: true,
  },
  POSTHOG_API_KEY: {
    suffix: 'posthog-api-key',
    origin: 'issuer-created',
    playbook: 'external-secret',
    issuer: 'posthog',
  },
} as const satisfies Record<string, SecretEntry>;

/** The shipped catalog's type. */
export type Catalog = typeof SECRETS;

/** One of the app's secret variables, e.g. `AUTH_SECRET`. */
export type SecretName = keyof Catalog;

/** The secrets a person creates at their issuer: rotated on demand, not scheduled. */
export type ExternalSecretName = { [N in SecretName]: Catalog[N]['origin'] extends 'issuer-created' ? N : never }[SecretName];

/** The suffix of an issuer-created secret (in its rotation function's name and in the CLI's messages). */
export type ExternalSecretKind = Catalog[ExternalSecretName]['suffix'];

/** The issuers of the shipped catalog: each has its file under `runtime/issuers/` and its entry in the registry there. */
export type IssuerId = IssuerIdOf<Catalog>;

/**
 * The catalog's lists and lookups for any catalog: the shipped one below, or a test's own with a sixth secret
 * (test/infra/sixth-issuer-app.test.ts puts one in place of this module's catalog).
 */
export function deriveCatalog(secrets: Readonly<Record<string, SecretEntry>>) {
  const names = Object.keys(secrets);
  const issuerCreated = (name: string) => secrets[name].origin === 'issuer-created';
  const external = names.filter(issuerCreated);
  return {
    SECRET_NAMES: names,
    EXTERNAL_SECRET_NAMES: external,
    EXTERNAL_SECRET_KINDS: external.map((name) => secrets[name].suffix),
    REVOKE_NOTICE_SECRET_NAMES: names.filter((name) => {
      const entry = secrets[name];
      return entry.origin === 'issuer-created' && entry.revokeNotice === true;
    }),
    MANAGED_SECRET_NAMES_AND_ALIASES: names.flatMap((name) => [name, ...(secrets[name].aliases ?? [])]),
    secretSuffix: (name: string) => secrets[name].suffix,
    secretPath: (secretPrefix: string, name: string) => `${secretPrefix}/${secrets[name].suffix}`,
    isExternalSecretName: issuerCreated,
  };
}

const shipped = deriveCatalog(SECRETS);

/** Every secret name, in catalog order. */
export const SECRET_NAMES = shipped.SECRET_NAMES as SecretName[];

/** The issuer-created secrets, in catalog order. */
export const EXTERNAL_SECRET_NAMES = shipped.EXTERNAL_SECRET_NAMES as ExternalSecretName[];

/** The kinds of the issuer-created secrets, in catalog order. */
export const EXTERNAL_SECRET_KINDS = shipped.EXTERNAL_SECRET_KINDS as readonly ExternalSecretKind[];

/** The secret's name below the environment prefix. */
export const secretSuffix: (name: SecretName) => string = shipped.secretSuffix;

/** `<secretPrefix>/<suffix>`: the secret's name in Secrets Manager. */
export const secretPath: (secretPrefix: string, name: SecretName) => string = shipped.secretPath;

export const isExternalSecretName = shipped.isExternalSecretName as (name: SecretName) => name is ExternalSecretName;

/** The secrets whose old value the operator revokes at the issuer once the revoke notice says so, in catalog order. */
export const REVOKE_NOTICE_SECRET_NAMES = shipped.REVOKE_NOTICE_SECRET_NAMES as readonly SecretName[];

/** Every name the guardrails count as a managed secret's: each secret's variable and its aliases. */
export const MANAGED_SECRET_NAMES_AND_ALIASES: readonly string[] = shipped.MANAGED_SECRET_NAMES_AND_ALIASES;
