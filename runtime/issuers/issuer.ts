/**
 * What the platform knows about an issuer of issuer-created secrets (Stripe, PostHog): one file per issuer in this
 * folder, each an {@link Issuer}, collected in the registry (`index.ts`). Used by the external-secret rotation
 * function, the revoke notice, the operator CLI and the guardrails' value scan; no Powertools, no AWS SDK here.
 *
 * Every text an issuer gives names kinds, modes and key *types* (a documented prefix such as `sk_test_`), never any
 * part of a value.
 */
import type { IssuerIdOf, SecretEntry, SecretsOfIssuer } from '../../catalog/secrets';

/** A value that is a secret by its shape (the guardrails' value scan, lib/guardrails/secret-patterns.ts). */
export interface SecretValuePattern {
  /** Short id shown in a violation, never the matched text. */
  readonly id: string;
  readonly description: string;
  readonly pattern: RegExp;
}

/** A documented prefix of the issuer's values, and what a value with it is. */
export interface ValuePrefix {
  readonly prefix: string;
  /** What a value with this prefix is, shown with the prefix: `a live-mode Stripe secret key`. */
  readonly description: string;
  /** The key's type at the issuer, for the form checks: `secret`, `restricted`, `webhook`, `project`... */
  readonly key: string;
  /** The mode (see {@link Issuer.mode}) a value with this prefix belongs to, if the prefix tells. */
  readonly mode?: string;
}

/** A setting of the rotation function: an environment variable, with a default or set from the configuration. */
export interface IssuerSetting {
  /** The rotation function's environment variable. */
  readonly env: string;
  /** The value when the variable is unset. */
  readonly default: string;
  /**
   * The key of the environment's `externalServices` configuration (lib/config/schema.ts) the stack sets the variable
   * from; without one the variable is unset in AWS (the default) and only a test sets it.
   * @default none
   */
  readonly configKey?: string;
}

/** A mode the environment takes values in (Stripe: `live` keys in prod, `test` keys in staging). */
export interface IssuerModeSetting {
  readonly env: string;
  /** The key of the environment's `externalServices` configuration the stack and the CLI read it from. */
  readonly configKey: string;
  readonly values: readonly string[];
}

/** What the form check of a secret gets besides the value (which passed the common checks: not empty, no whitespace). */
export interface FormContext {
  /** The environment's mode, when the secret {@link IssuedSecret.needsMode}; else maybe undefined. */
  readonly mode: string | undefined;
  /** The known prefix the value starts with, and whose it is. */
  readonly match: { readonly issuer: string; readonly prefix: ValuePrefix } | undefined;
  /** The value's type in words, from its prefix only: `a PostHog project token (phc_)`. */
  readonly seen: string;
}

/** What a live check gets besides the value. */
export interface LiveCheckContext {
  /** The issuer's API origin ({@link Issuer.origin}), checked: https, or http on a loopback host. */
  readonly origin: string;
  /** The environment's mode, when the secret {@link IssuedSecret.needsMode}. */
  readonly mode: string | undefined;
  readonly timeoutMs?: number;
}

/** What the check proved; `warning` when it could only prove part of it. */
export interface IssuerCheckResult {
  warning?: string;
}

/** How to revoke the old value once its successor is rolled out (issuers whose old value stays valid). */
export interface RevokeText {
  /** Where and how, after "The old key may now be revoked": `in the Stripe Dashboard (Developers > API keys: expire the old key)`. */
  readonly how: string;
}

/** Everything about one secret the issuer creates. */
export interface IssuedSecret {
  /** Whether the value's form depends on the environment's mode ({@link Issuer.mode}, which the issuer must then have). @default false */
  readonly needsMode?: boolean;
  /** Why `value` is not acceptable as a new value, or undefined. Throws only for a configuration error (a missing mode). */
  readonly formProblem: (value: string, form: FormContext) => string | undefined;
  /** Whether the issuer accepts the value (real HTTP); throws an {@link IssuerCheckError}. None: the form check is all. */
  readonly liveCheck?: (value: string, context: LiveCheckContext) => Promise<IssuerCheckResult>;
  /** The rotation function's log line once the value passed: the issuer accepted it, or why only its form was checked. */
  readonly checkedLog: string;
  /** Where the operator creates a new value and revokes a leaked one (`fleapo-secrets contain` prints it). */
  readonly dashboard: string;
  /** How to revoke the old value: required by the registry when the catalog entry asks for the revoke notice. */
  readonly revoke?: RevokeText;
  /** The operator CLI's texts for this secret. */
  readonly operator: {
    /** The forms a new value takes, in `stage --help`'s list: `whsec_`, or `sk_live_/rk_live_ in a live environment, ...`. */
    readonly formHint: string;
    /** After the rollout with the new value completed: what may be done with the old one. */
    readonly rolledOut: string;
    /** When a run stopped before that (`what`: "Rotation not complete"; `step`: where it stopped): never a revoke instruction. */
    readonly notComplete: (what: string, step: string) => string;
  };
}

/** An issuer's entry in the registry: `E` is the catalog entries of the secrets it creates. */
export interface Issuer<E extends Readonly<Record<string, SecretEntry>> = Readonly<Record<string, SecretEntry>>> {
  /** The issuer's name in texts: `Stripe`. */
  readonly name: string;
  /** Every documented prefix of the issuer's values, checked in this order (a longer prefix before its own prefix). */
  readonly prefixes: readonly ValuePrefix[];
  /** Values that are this issuer's secrets by their shape, wherever they appear (the guardrails' value scan). */
  readonly valuePatterns: readonly SecretValuePattern[];
  /** The API origin the live checks call. */
  readonly origin: IssuerSetting;
  /** The mode the environment takes values in, if the issuer has modes. @default none */
  readonly mode?: IssuerModeSetting;
  /** Each secret of the catalog this issuer creates, by its catalog name: the compiler asks for each one. */
  readonly secrets: {
    readonly [N in keyof E]: IssuedSecret & (E[N] extends { revokeNotice: true } ? { readonly revoke: RevokeText } : unknown);
  };
}

/**
 * The registry a catalog `C` needs: an entry for each issuer it names, describing each secret that issuer creates.
 * `satisfies IssuerRegistry<typeof SECRETS>` makes a new issuer id, or a new secret of an issuer, a compile error
 * until its entry exists.
 */
export type IssuerRegistry<C> = {
  readonly [I in IssuerIdOf<C>]: Issuer<Pick<C, SecretsOfIssuer<C, I>> & Readonly<Record<string, SecretEntry>>>;
};

/** The catalog entries of the secrets issuer `I` creates in catalog `C` (an issuer file's `satisfies Issuer<...>`). */
export type IssuerEntries<C, I extends string> = Pick<C, SecretsOfIssuer<C, I>> & Readonly<Record<string, SecretEntry>>;

/**
 * The issuer did not accept the value. `final` (see runtime/rotation-refusal.ts): the issuer answered and said no
 * (a rejected or wrong-mode key, a redirect to fix in the settings), which a retry would hear again; not final when it
 * could not be reached or answered with an error of its own (5xx, 429: "the check is retried with the rotation").
 */
export class IssuerCheckError extends Error {
  override readonly name = 'IssuerCheckError';
  readonly final: boolean;
  constructor(message: string, options: { retryable?: boolean } = {}) {
    super(message);
    this.final = !options.retryable;
  }
}

export const DEFAULT_ISSUER_TIMEOUT_MS = 10_000;

/** Shortest body accepted after the prefix (real values are far longer; this catches truncated pastes). */
export const MIN_BODY_LENGTH = 16;

/** Why the part of `value` after `prefix` is not a body of `what` (too short, or a character outside `allowed`). */
export function bodyProblem(value: string, prefix: string, allowed: RegExp, what: string): string | undefined {
  const body = value.slice(prefix.length);
  if (body.length < MIN_BODY_LENGTH) return `it is too short for ${what} (${value.length} characters: truncated?)`;
  if (!allowed.test(body)) return `it contains characters ${what} never has`;
  return undefined;
}

export function hostOf(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}

/**
 * fetch with a timeout (global fetch: real HTTP); network problems become a retryable IssuerCheckError naming the
 * host and the problem (`issuer`: "The Stripe API"). A redirect is returned, never followed with the credential.
 */
export async function issuerRequest(
  issuer: string,
  url: string,
  init: RequestInit,
  timeoutMs = DEFAULT_ISSUER_TIMEOUT_MS,
): Promise<Response> {
  const host = hostOf(url);
  try {
    return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const e = error as { name?: string; cause?: { code?: unknown; name?: unknown } };
    let problem: string;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') problem = `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
    else if (typeof e.cause?.code === 'string') problem = e.cause.code;
    else if (typeof e.cause?.name === 'string') problem = e.cause.name;
    else problem = e.name ?? 'network error';
    throw new IssuerCheckError(`${issuer} at ${host} could not be reached (${problem}); the check is retried with the rotation`, {
      retryable: true,
    });
  }
}

/** JSON body or undefined; never thrown, never echoed. */
export async function jsonBody(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

/** A redirect answer as a final problem naming the setting to fix (`setting`: the origin's variable), else undefined. */
export function redirectProblem(issuer: string, host: string, response: Response, setting: string): string | undefined {
  if (response.status < 300 || response.status >= 400) return undefined;
  let to = '';
  try {
    const location = response.headers.get('location');
    if (location) to = ` to ${new URL(location, `https://${host}`).host}`;
  } catch {
    // an unparsable Location: report the redirect without it
  }
  return `${issuer} at ${host} answered a redirect (HTTP ${response.status}${to}): set ${setting} to the final origin`;
}
