/**
 * The AUTH_SECRET key ring: the key this instance signs with, and the other keys it accepts.
 *
 * The value comes in one of two forms, both read from one environment variable (so an instance never sees half of
 * one version and half of another):
 * - 128 lower-case hex characters: a single key (what `openssl rand -hex 64` prints; the form before the first
 *   ring rotation). The instance signs with it and accepts nothing else: plain better-auth.
 * - JSON `{"current": KEY, "next": KEY, "previous": KEY}` (`next` and `previous` optional), each KEY 128 lower-case
 *   hex characters: sign with `current`, accept `current`, `next` and `previous`.
 */
export interface AuthSecretRing {
  /** The key cookies are signed with (128 hex characters). */
  readonly current: string;
  /** Keys that are accepted besides `current` (the published next key, the previous key), without duplicates. */
  readonly accepted: readonly string[];
}

/** One key: 64 bytes as 128 lower-case hex characters. */
export const AUTH_SECRET_KEY_PATTERN = /^[0-9a-f]{128}$/;

const RING_FIELDS = ['current', 'next', 'previous'] as const;

/**
 * Parses an AUTH_SECRET value (a single key or a JSON ring). Errors name the problem, never the value.
 * @param name what the value is called in errors (e.g. the environment variable)
 */
export function parseAuthSecretRing(value: string | undefined, name = 'AUTH_SECRET'): AuthSecretRing {
  if (value === undefined || value.trim() === '') throw new Error(`${name} is not set`);
  const trimmed = value.trim();
  if (AUTH_SECRET_KEY_PATTERN.test(trimmed)) return { current: trimmed, accepted: [] };
  if (!trimmed.startsWith('{')) throw new Error(`${name} is neither 128 lower-case hex characters nor a JSON key ring`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${name} is not a JSON object`);
  const ring = parsed as Record<string, unknown>;
  for (const key of Object.keys(ring)) {
    if (!(RING_FIELDS as readonly string[]).includes(key))
      throw new Error(`${name}: unknown field "${key}" (expected current, next, previous)`);
  }
  for (const field of RING_FIELDS) {
    const key = ring[field];
    if (field !== 'current' && key === undefined) continue;
    if (typeof key !== 'string' || !AUTH_SECRET_KEY_PATTERN.test(key)) {
      throw new Error(`${name}: field "${field}" must be 128 lower-case hex characters`);
    }
  }
  return ringOf(ring.current as string, [ring.next as string | undefined, ring.previous as string | undefined]);
}

/**
 * The ring from the environment: `AUTH_SECRET` (a key or a JSON ring), plus, for deployments that inject them
 * separately, the keys in `AUTH_SECRET_OLD` and `AUTH_SECRET_NEXT` (each optional, 128 hex characters).
 */
export function authSecretRingFromEnv(env: Record<string, string | undefined> = process.env): AuthSecretRing {
  const ring = parseAuthSecretRing(env.AUTH_SECRET, 'AUTH_SECRET');
  const extra: string[] = [];
  for (const name of ['AUTH_SECRET_OLD', 'AUTH_SECRET_NEXT']) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    if (!AUTH_SECRET_KEY_PATTERN.test(value)) throw new Error(`${name} must be 128 lower-case hex characters`);
    extra.push(value);
  }
  return ringOf(ring.current, [...ring.accepted, ...extra]);
}

function ringOf(current: string, others: (string | undefined)[]): AuthSecretRing {
  const accepted = [...new Set(others.filter((k): k is string => k !== undefined && k !== current))];
  return { current, accepted };
}
