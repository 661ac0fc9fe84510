import { isExternalSecretName, SECRET_NAMES, SECRETS, secretPath, type ExternalSecretKind, type SecretName } from '../../catalog/secrets';
import { configuredMode } from '../../runtime/issuers';
import type { EnvironmentConfig, FleapoConfig } from '../config/environment-config';
import { editDistance } from '../config/suggest';

/** A usage mistake: exit 2. Its message never repeats what the operator typed (it may be a pasted key). */
export class UsageError extends Error {}

/** Everything the CLI needs to act on one secret of one environment, all from the configuration. */
export interface SecretTarget {
  /** The app's variable, e.g. `STRIPE_SECRET_KEY`. */
  readonly name: SecretName;
  /** The secret's name, `<secretPrefix>/<suffix>`. */
  readonly secretId: string;
  readonly environment: string;
  readonly region: string;
  readonly cluster: string;
  readonly service: string;
  /**
   * For the secrets a person creates at the issuer: the kind the value's form is refused as (its suffix, in messages),
   * and the mode it is checked in when its issuer checks one (Stripe: live or test).
   */
  readonly external?: { readonly kind: ExternalSecretKind; readonly mode: string | undefined };
}

/** `STRIPE_SECRET_KEY`, `stripe-secret-key` (any case) → `STRIPE_SECRET_KEY`; anything else undefined. */
export function parseSecretName(text: string): SecretName | undefined {
  const wanted = text.trim().toLowerCase();
  return SECRET_NAMES.find((name) => name.toLowerCase() === wanted || SECRETS[name].suffix === wanted);
}

/** The secret argument as a name, or a usage error that lists the names and does not repeat the argument. */
export function secretNameArgument(text: string): SecretName {
  const name = parseSecretName(text);
  if (name === undefined) {
    throw new UsageError(
      `<secret> must be one of ${SECRET_NAMES.join(', ')} (or ${SECRET_NAMES.map((n) => SECRETS[n].suffix).join(', ')}); what was given is not shown. A new key is never an argument: stage reads it from stdin.`,
    );
  }
  return name;
}

/** The configured environment called `name`; a usage error listing the configured ones otherwise. */
export function findEnvironment(config: FleapoConfig, name: string | undefined): EnvironmentConfig {
  const names = config.environments.map((e) => e.name);
  if (name === undefined) throw new UsageError(`--env <environment> is required: one of ${names.join(', ')}`);
  const env = config.environments.find((e) => e.name === name);
  if (!env) {
    const near = closestName(name, names);
    throw new UsageError(
      `--env must be one of ${names.join(', ')} (the configured environments)${near ? `; did you mean ${near}?` : ''} (what was given is not shown)`,
    );
  }
  return env;
}

/**
 * Pure: the configured name `typed` was most likely meant to be (case-insensitive, a prefix, or within a third of
 * its length in edits, as commander suggests options), or undefined. Only a configured name is ever shown.
 */
export function closestName(typed: string, names: readonly string[]): string | undefined {
  const t = typed.trim().toLowerCase();
  if (t === '' || t.length > 40) return undefined;
  const exact = names.find((n) => n.toLowerCase() === t);
  if (exact) return exact;
  const prefixed = names.filter((n) => n.toLowerCase().startsWith(t));
  if (prefixed.length === 1) return prefixed[0];
  const scored = names
    .map((n) => ({ n, d: editDistance(t, n.toLowerCase()) }))
    .filter(({ n, d }) => d <= Math.max(1, Math.floor(n.length / 3)));
  scored.sort((x, y) => x.d - y.d);
  return scored.length > 0 && (scored.length === 1 || scored[0].d < scored[1].d) ? scored[0].n : undefined;
}

export function secretTarget(env: EnvironmentConfig, name: SecretName): SecretTarget {
  return {
    name,
    secretId: secretPath(env.secretPrefix, name),
    environment: env.name,
    region: env.region,
    cluster: env.service.clusterName,
    service: env.service.serviceName,
    ...(isExternalSecretName(name) ? { external: { kind: SECRETS[name].suffix, mode: configuredMode(name, env.externalServices) } } : {}),
  };
}

/** Every secret of an environment, in the runbook's order. */
export function environmentTargets(env: EnvironmentConfig): SecretTarget[] {
  return SECRET_NAMES.map((name) => secretTarget(env, name));
}
