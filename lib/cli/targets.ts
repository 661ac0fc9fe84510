import { MANAGED_SECRETS, SECRET_NAME_SUFFIX, type EnvironmentConfig, type FleapoConfig, type ManagedSecretName } from '../config/environment-config';
import { isExternalSecretKind, kindNeedsMode, type ExternalSecretKind, type StripeMode } from '../../lambda/external/external-secret-kinds';

/** A usage mistake: exit 2. Its message never repeats what the operator typed (it may be a pasted key). */
export class UsageError extends Error {}

/** Everything the CLI needs to act on one secret of one environment, all from the configuration. */
export interface SecretTarget {
  /** The app's variable, e.g. `STRIPE_SECRET_KEY`. */
  readonly name: ManagedSecretName;
  /** The secret's name, `<secretPrefix>/<suffix>`. */
  readonly secretId: string;
  readonly environment: string;
  readonly region: string;
  readonly cluster: string;
  readonly service: string;
  /** For the secrets a person creates at the issuer: the kind the value's form is checked as, and the Stripe mode. */
  readonly external?: { readonly kind: ExternalSecretKind; readonly mode: StripeMode | undefined };
}

/** `STRIPE_SECRET_KEY`, `stripe-secret-key` (any case) → `STRIPE_SECRET_KEY`; anything else undefined. */
export function parseSecretName(text: string): ManagedSecretName | undefined {
  const wanted = text.trim().toLowerCase();
  return MANAGED_SECRETS.find((name) => name.toLowerCase() === wanted || SECRET_NAME_SUFFIX[name] === wanted);
}

/** The secret argument as a name, or a usage error that lists the names and does not repeat the argument. */
export function secretNameArgument(text: string): ManagedSecretName {
  const name = parseSecretName(text);
  if (name === undefined) {
    throw new UsageError(
      `<secret> must be one of ${MANAGED_SECRETS.join(', ')} (or ${MANAGED_SECRETS.map((n) => SECRET_NAME_SUFFIX[n]).join(', ')}); what was given is not shown. A new key is never an argument: stage reads it from stdin.`,
    );
  }
  return name;
}

/** The configured environment called `name`; a usage error listing the configured ones otherwise. */
export function findEnvironment(config: FleapoConfig, name: string | undefined): EnvironmentConfig {
  const names = config.environments.map((e) => e.name);
  if (name === undefined) throw new UsageError(`--env <environment> is required: one of ${names.join(', ')}`);
  const env = config.environments.find((e) => e.name === name);
  if (!env) throw new UsageError(`--env must be one of ${names.join(', ')} (the configured environments); what was given is not shown`);
  return env;
}

export function secretTarget(env: EnvironmentConfig, name: ManagedSecretName): SecretTarget {
  const suffix = SECRET_NAME_SUFFIX[name];
  return {
    name,
    secretId: `${env.secretPrefix}/${suffix}`,
    environment: env.name,
    region: env.region,
    cluster: env.service.clusterName,
    service: env.service.serviceName,
    ...(isExternalSecretKind(suffix)
      ? { external: { kind: suffix, mode: kindNeedsMode(suffix) ? env.externalServices.stripeMode : undefined } }
      : {}),
  };
}

/** Every secret of an environment, in the README's order. */
export function environmentTargets(env: EnvironmentConfig): SecretTarget[] {
  return MANAGED_SECRETS.map((name) => secretTarget(env, name));
}
