/**
 * The five secrets every environment holds: the one place each secret's name is written.
 *
 * Adding a secret is one entry here (and whatever its playbook needs): every `Record<SecretName, ...>` map and every
 * exhaustive `switch` over a {@link SecretName}, {@link ExternalSecretKind} or {@link Playbook} then fails to compile
 * until it handles the new entry, which names each other place to touch.
 */

/** Where a secret's first and later values come from. */
export type SecretOrigin =
  /** Secrets Manager generates the first value; a rotation function makes each next one. */
  | 'generated'
  /** A person creates each value at its issuer (Stripe Dashboard, PostHog project) and stages it. */
  | 'issuer-created';

/** The rotation playbook (a handler under `lambda/playbooks/`) that rotates a secret. */
export type Playbook = 'auth-secret' | 'database-url' | 'external-secret';

/** One secret of the catalog. Its key in {@link SECRETS} is the app's environment variable. */
export interface SecretEntry {
  /** The secret's name below the environment prefix: `<secretPrefix>/<suffix>`, e.g. `fleapo/prod/auth-secret`. */
  readonly suffix: string;
  readonly origin: SecretOrigin;
  readonly playbook: Playbook;
  /**
   * Other names the app's libraries read the same secret under (better-auth reads `BETTER_AUTH_SECRET(S)`): the
   * guardrails treat them as this secret's name.
   * @default none
   */
  readonly aliases?: readonly string[];
  /**
   * Issuer-created secrets only: whether the value's form depends on the environment's Stripe mode (live or test).
   * @default false
   */
  readonly checkedAgainstStripeMode?: boolean;
  /**
   * Issuer-created secrets only: whether the old value stays valid at the issuer until the operator revokes it, so the
   * environment announces when a completed rollout makes that safe (the revoke notice).
   * @default false
   */
  readonly revokeNotice?: boolean;
  /**
   * Issuer-created secrets only: where the operator creates a new value and revokes a leaked one (`fleapo-secrets
   * contain` prints it next to "revoke the leaked key now").
   * @default none
   */
  readonly issuerDashboard?: string;
}

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
    checkedAgainstStripeMode: true,
    revokeNotice: true,
    issuerDashboard: 'https://dashboard.stripe.com/apikeys',
  },
  STRIPE_WEBHOOK_SECRET: {
    suffix: 'stripe-webhook-secret',
    origin: 'issuer-created',
    playbook: 'external-secret',
    revokeNotice: true,
    issuerDashboard: 'https://dashboard.stripe.com/webhooks',
  },
  POSTHOG_API_KEY: {
    suffix: 'posthog-api-key',
    origin: 'issuer-created',
    playbook: 'external-secret',
    issuerDashboard: 'https://us.posthog.com/settings/project#variables',
  },
} as const satisfies Record<string, SecretEntry>;

type Catalog = typeof SECRETS;

/** One of the app's secret variables, e.g. `AUTH_SECRET`. */
export type SecretName = keyof Catalog;

/** The secrets a person creates at their issuer: rotated on demand, not scheduled. */
export type ExternalSecretName = { [N in SecretName]: Catalog[N]['origin'] extends 'issuer-created' ? N : never }[SecretName];

/** The kind an issuer-created secret's value is checked as: its {@link SecretEntry.suffix}. */
export type ExternalSecretKind = Catalog[ExternalSecretName]['suffix'];

/** Every secret name, in catalog order. */
export const SECRET_NAMES = Object.keys(SECRETS) as SecretName[];

/** The issuer-created secrets, in catalog order. */
export const EXTERNAL_SECRET_NAMES = SECRET_NAMES.filter((name): name is ExternalSecretName => SECRETS[name].origin === 'issuer-created');

/** The kinds of the issuer-created secrets, in catalog order. */
export const EXTERNAL_SECRET_KINDS: readonly ExternalSecretKind[] = EXTERNAL_SECRET_NAMES.map((name) => SECRETS[name].suffix);

/** The secret's name below the environment prefix. */
export function secretSuffix(name: SecretName): string {
  return SECRETS[name].suffix;
}

/** `<secretPrefix>/<suffix>`: the secret's name in Secrets Manager. */
export function secretPath(secretPrefix: string, name: SecretName): string {
  return `${secretPrefix}/${SECRETS[name].suffix}`;
}

export function isExternalSecretName(name: SecretName): name is ExternalSecretName {
  return SECRETS[name].origin === 'issuer-created';
}

export function isExternalSecretKind(value: unknown): value is ExternalSecretKind {
  return typeof value === 'string' && (EXTERNAL_SECRET_KINDS as readonly string[]).includes(value);
}

/** The issuer-created secret whose kind is `kind`. */
export function externalSecretName(kind: ExternalSecretKind): ExternalSecretName {
  return EXTERNAL_SECRET_NAMES.find((name) => SECRETS[name].suffix === kind)!;
}

/** Whether values of `kind` are checked against the environment's Stripe mode. */
export function kindNeedsMode(kind: ExternalSecretKind): boolean {
  const entry: SecretEntry = SECRETS[externalSecretName(kind)];
  return entry.checkedAgainstStripeMode === true;
}

/** The secrets whose old value the operator revokes at the issuer once the revoke notice says so, in catalog order. */
export const REVOKE_NOTICE_SECRET_NAMES: readonly SecretName[] = SECRET_NAMES.filter((name) => {
  const entry: SecretEntry = SECRETS[name];
  return entry.revokeNotice === true;
});

/** Every name the guardrails count as a managed secret's: each secret's variable and its aliases. */
export const MANAGED_SECRET_NAMES_AND_ALIASES: readonly string[] = SECRET_NAMES.flatMap((name) => {
  const entry: SecretEntry = SECRETS[name];
  return [name, ...(entry.aliases ?? [])];
});

/** The Stripe modes: `live` in prod, `test` in staging. */
export const STRIPE_MODES = ['live', 'test'] as const;
export type StripeMode = (typeof STRIPE_MODES)[number];

export function isStripeMode(value: unknown): value is StripeMode {
  return typeof value === 'string' && (STRIPE_MODES as readonly string[]).includes(value);
}

/** The issuer's page for `name` (create and revoke keys there), or undefined for a generated secret. */
export function issuerDashboard(name: SecretName): string | undefined {
  const entry: SecretEntry = SECRETS[name];
  return entry.issuerDashboard;
}
