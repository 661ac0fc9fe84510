import { ENV_EXTERNAL_SECRET_NAME } from '../../catalog/env-vars';
import { optionalEnv, requireEnv } from '../config/env';
import {
  findIssuedSecret,
  issuedSecretNames,
  SHIPPED_ISSUERS,
  type IssuedSecretRef,
  type IssuerBook,
  type IssuerSetting,
} from '../../runtime/issuers';

/** The external-secret rotation function's configuration (no ECS part: see readEcsTarget). */
export interface ExternalSecretSettings {
  /** The secret (EXTERNAL_SECRET_NAME) and its issuer's entry. */
  readonly secret: IssuedSecretRef;
  /** Always set when the secret's issuer checks a mode; otherwise set only when the issuer's mode variable is (unused then). */
  readonly mode: string | undefined;
  /** Every issuer's API origin (checked), by issuer id. */
  readonly origins: Readonly<Record<string, string>>;
}

/** Hosts whose plain-HTTP origin stays on this machine (a test's local issuer double). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * An issuer origin: `https://` (the key travels to the issuer only over TLS), or `http://` on a loopback host only,
 * which never leaves the machine (the tests' local issuer doubles).
 */
function originSetting(setting: IssuerSetting, env: NodeJS.ProcessEnv): string {
  const { env: name, default: fallback } = setting;
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

function readMode(secret: IssuedSecretRef, env: NodeJS.ProcessEnv): string | undefined {
  const setting = secret.issuer.mode;
  if (setting === undefined) {
    if (secret.secret.needsMode) throw new Error(`${secret.name} is checked against its issuer's mode, but ${secret.issuer.name} has none`);
    return undefined;
  }
  const raw = secret.secret.needsMode ? requireEnv(setting.env, env) : optionalEnv(setting.env, env);
  if (raw !== undefined && !setting.values.includes(raw)) {
    throw new Error(`Environment variable ${setting.env} must be ${setting.values.map((v) => `'${v}'`).join(' or ')}`);
  }
  return raw;
}

/** Reads and checks the variables, naming the first missing or invalid one. */
export function readExternalSecretSettings(
  env: NodeJS.ProcessEnv = process.env,
  book: IssuerBook = SHIPPED_ISSUERS,
): ExternalSecretSettings {
  const name = requireEnv(ENV_EXTERNAL_SECRET_NAME, env);
  const secret = findIssuedSecret(name, book);
  if (secret === undefined) {
    throw new Error(`Environment variable ${ENV_EXTERNAL_SECRET_NAME} must be one of ${issuedSecretNames(book).join(', ')}`);
  }
  const mode = readMode(secret, env);
  const origins = Object.fromEntries(Object.entries(book.issuers).map(([id, issuer]) => [id, originSetting(issuer.origin, env)]));
  return { secret, mode, origins };
}
