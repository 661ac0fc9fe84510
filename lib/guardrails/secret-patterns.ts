/**
 * Every "does this look like a secret?" decision of the guardrails lives here, so the
 * synth-time rules, the tests and the docs agree on one list.
 *
 * Two separate questions:
 *  - is a *name* (an environment variable, a build argument) the name of a secret?
 *  - is a *value* (any string in a template or an asset manifest) a secret itself?
 */

import { MANAGED_SECRET_NAMES_AND_ALIASES } from '../../catalog/secrets';
import { issuerValuePatterns, type SecretValuePattern } from '../../runtime/issuers';

export type { SecretValuePattern };

/** The secrets the app reads (the catalog's secrets, with the other names the app's libraries read them under). */
export const MANAGED_SECRET_NAMES: readonly string[] = MANAGED_SECRET_NAMES_AND_ALIASES;

/**
 * Last words of a variable name that make it the name of a secret: `X_SECRET`, `X_PASSWORD`,
 * `X_API_KEY`, `X_TOKEN`, ... The name has to END with one of them: `AUTH_SECRET_ARN`,
 * `DB_PASSWORD_SECRET_NAME`, `TOKEN_TTL_SECONDS` or `SECRETS_PREFIX` name *where* a secret is or
 * how it behaves, not the secret, and are fine in plain configuration. Matched against the name's
 * words in UPPER_SNAKE form (see {@link nameWords}), whatever the name's case style.
 */
const SECRET_NAME_SUFFIX =
  /(?:^|_)(?:SECRET|SECRETS|SECRET_KEY|CLIENT_SECRET|PASSWORD|PASSWORDS|PASSWD|PASS|API_KEY|APIKEY|ACCESS_KEY|ACCESS_KEY_ID|PRIVATE_KEY|SIGNING_KEY|ENCRYPTION_KEY|TOKEN|AUTH_TOKEN|ACCESS_TOKEN|REFRESH_TOKEN|CREDENTIALS?|CONNECTION_STRING)$/;

/**
 * The words of a name in any case style, upper-cased: `stripeSecretKey`, `STRIPE_SECRET_KEY`,
 * `stripe-secret-key`, `stripe.secret.key` and `--stripe-secret-key` all give
 * `['STRIPE', 'SECRET', 'KEY']`; `APIKey` gives `['API', 'KEY']`. A trailing number (`TOKEN_2`,
 * `apiKey2`) is a version of the same thing and is dropped.
 */
export function nameWords(name: string): string[] {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2') // camelCase boundary: stripeSecret -> stripe_Secret
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2') // acronym boundary: APIKey -> API_Key
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toUpperCase());
  while (words.length > 1 && /^\d+$/.test(words[words.length - 1])) words.pop();
  if (words.length > 0) words[words.length - 1] = words[words.length - 1].replace(/(?<=[A-Z])\d+$/, '');
  return words;
}

/** A name in UPPER_SNAKE form, whatever its case style (`db.password` -> `DB_PASSWORD`). */
export function normalizeName(name: string): string {
  return nameWords(name).join('_');
}

/** `VITE_` variables are bundled into the SPA and shipped to every browser. */
export const BROWSER_ENV_PREFIX = 'VITE_';

/** True when `name` is the name of a managed secret or is shaped like a secret's name, in any case style. */
export function isSecretName(name: string): boolean {
  const upper = normalizeName(name);
  if (MANAGED_SECRET_NAMES.includes(upper)) return true;
  return SECRET_NAME_SUFFIX.test(upper);
}

/** True for `VITE_*` names. */
export function isBrowserEnvName(name: string): boolean {
  return name.toUpperCase().startsWith(BROWSER_ENV_PREFIX);
}

/**
 * Stands for a part of a value that the template does not give literally (a `Ref`, an `Fn::GetAtt`,
 * a `${Var}` of an `Fn::Sub`): see `assembleStrings` in `intrinsics.ts`. A private-use character, so
 * it never occurs in real text and no "secret-looking literal" pattern counts it as literal.
 */
export const TOKEN_PLACEHOLDER = '\uE000';

/**
 * Passwords of documentation and templating, which are not secrets: `user:password@`, `USER:PASSWORD@`,
 * `user:<password>@`, `user:${DB_PASSWORD}@`, `user:$PGPASSWORD@`, `user:{{password}}@`, `user:***@`,
 * `user:xxxx@`, `user:%s@`, or a part the template does not give literally.
 */
const PLACEHOLDER_PASSWORD =
  '(?:password|passwd|pass|pwd|secret|x+|\\*+|\\.+|<[^\\s@>]*>|\\$\\{[^\\s@}]*\\}|\\$[A-Za-z_][A-Za-z0-9_]*|\\{\\{?[^\\s@}]*\\}\\}?|%s|\\uE000+)';

/**
 * `postgres://user:password@`, `postgresql://`, `postgresql+psycopg://`: a password of 4 or more
 * characters, any punctuation allowed except what ends a URL's authority (`/ ? #`), `@`, whitespace
 * and quotes (which end the string in source files), and not a placeholder (above).
 */
const POSTGRES_URL_WITH_PASSWORD = new RegExp(
  '\\bpostgres(?:ql)?(?:\\+[a-z0-9]+)?:\\/\\/[^\\s:/?#@"\'`]+:' + `(?!${PLACEHOLDER_PASSWORD}@)` + '[^\\s@/?#"\'`]{4,}@',
  'i',
);

/** Secret values by their shape that no issuer of the catalog creates. */
const OTHER_SECRET_VALUE_PATTERNS: readonly SecretValuePattern[] = [
  {
    id: 'postgres-url-with-password',
    description: 'a postgres:// or postgresql:// URL with a password',
    pattern: POSTGRES_URL_WITH_PASSWORD,
  },
  { id: 'aws-access-key-id', description: 'an AWS access key id (AKIA/ASIA)', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { id: 'private-key', description: 'a PEM private key', pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/ },
  {
    id: 'github-token',
    description: 'a GitHub token (ghp_/gho_/ghu_/ghs_/ghr_/github_pat_)',
    pattern: /\b(?:gh[pousr]_[0-9A-Za-z]{36}|github_pat_[0-9A-Za-z_]{40,})\b/,
  },
];

/**
 * The value patterns for a registry of issuers: each issuer's own (its file in runtime/issuers/, in registry order),
 * then the others above. Each needs a real-looking body after the prefix, so the placeholders of `.env.example`
 * (`sk_test_...`, `whsec_...`) do not match.
 */
export function secretValuePatterns(issuerPatterns: readonly SecretValuePattern[] = issuerValuePatterns()): SecretValuePattern[] {
  return [...issuerPatterns, ...OTHER_SECRET_VALUE_PATTERNS];
}

/** Values that are secrets by their shape: the shipped issuers' values (Stripe's, PostHog's), then the others. */
export const SECRET_VALUE_PATTERNS: readonly SecretValuePattern[] = secretValuePatterns();

/** The first secret pattern `value` matches, if any. */
export function findSecretValue(value: string): SecretValuePattern | undefined {
  return SECRET_VALUE_PATTERNS.find((p) => p.pattern.test(value));
}

/**
 * A CloudFormation dynamic reference that resolves a *secret* at deploy time. In a plain
 * environment variable or a build argument its value ends up readable in the resource's
 * configuration (DescribeTaskDefinition, GetFunctionConfiguration, docker history).
 * `{{resolve:ssm:...}}` (plain String parameters) is not a secret.
 */
export const SECRET_DYNAMIC_REFERENCE = /\{\{resolve:(?:secretsmanager|ssm-secure):/;

/** A whole secret dynamic reference, `{{resolve:secretsmanager:...}}` (global: for replacing). */
export const SECRET_DYNAMIC_REFERENCE_SPAN = /\{\{resolve:(?:secretsmanager|ssm-secure):[^}]*\}\}/g;

/** An ARN of a Secrets Manager secret or an SSM parameter (which may be a SecureString). */
export const SECRET_ARN = /arn:aws[a-z-]*:(?:secretsmanager:[^:]*:[^:]*:secret:|ssm:[^:]*:[^:]*:parameter\/)/;

export function isSecretDynamicReference(value: string): boolean {
  return SECRET_DYNAMIC_REFERENCE.test(value);
}
