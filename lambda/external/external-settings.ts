import { ENV_EXTERNAL_SECRET_KIND, ENV_POSTHOG_API_HOST, ENV_STRIPE_API_BASE, ENV_STRIPE_MODE } from '../../catalog/env-vars';
import { DEFAULT_POSTHOG_API_HOST, DEFAULT_STRIPE_API_BASE, optionalEnv, requireEnv } from '../config/env';
import {
  EXTERNAL_SECRET_KINDS,
  ExternalSecretKind,
  StripeMode,
  isExternalSecretKind,
  isStripeMode,
  kindNeedsMode,
} from '../../catalog/secrets';

/** The external-secret rotation function's configuration (no ECS part: see readEcsTarget). */
export interface ExternalSecretSettings {
  kind: ExternalSecretKind;
  /** Always set for stripe-secret-key; for the other kinds only when STRIPE_MODE is set (it is then unused). */
  mode: StripeMode | undefined;
  stripeApiBase: string;
  posthogApiHost: string;
}

/** Hosts whose plain-HTTP origin stays on this machine (a test's local issuer double). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * An issuer origin: `https://` (the key travels to the issuer only over TLS), or `http://` on a loopback host only,
 * which never leaves the machine (the tests' local issuer doubles).
 */
function originSetting(name: string, fallback: string, env: NodeJS.ProcessEnv): string {
  const value = optionalEnv(name, env) ?? fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`Environment variable ${name} must be an https:// URL such as ${fallback}`);
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new Error(
      `Environment variable ${name} must be an https:// URL such as ${fallback} (plain http only for a loopback host in tests), got host ${url.host}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`Environment variable ${name} must be an https:// URL such as ${fallback}`);
  }
  return value.replace(/\/+$/, '');
}

/** Reads and checks the variables, naming the first missing or invalid one. */
export function readExternalSecretSettings(env: NodeJS.ProcessEnv = process.env): ExternalSecretSettings {
  const kind = requireEnv(ENV_EXTERNAL_SECRET_KIND, env);
  if (!isExternalSecretKind(kind)) {
    throw new Error(`Environment variable ${ENV_EXTERNAL_SECRET_KIND} must be one of ${EXTERNAL_SECRET_KINDS.join(', ')}`);
  }
  const rawMode = kindNeedsMode(kind) ? requireEnv(ENV_STRIPE_MODE, env) : optionalEnv(ENV_STRIPE_MODE, env);
  if (rawMode !== undefined && !isStripeMode(rawMode)) {
    throw new Error(`Environment variable ${ENV_STRIPE_MODE} must be 'live' or 'test'`);
  }
  return {
    kind,
    mode: rawMode,
    stripeApiBase: originSetting(ENV_STRIPE_API_BASE, DEFAULT_STRIPE_API_BASE, env),
    posthogApiHost: originSetting(ENV_POSTHOG_API_HOST, DEFAULT_POSTHOG_API_HOST, env),
  };
}
