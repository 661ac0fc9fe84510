import type { BetterAuthOptions, BetterAuthPlugin } from 'better-auth';
import { createAuthMiddleware } from 'better-auth/api';
import { jwtVerify, SignJWT } from 'jose';
import type { AuthSecretRing } from './ring';
import { hmacBase64Url, signValue, splitSigned, verifySigned } from './signed-cookie';

/** The plugin's id in better-auth. */
export const SECRET_RING_PLUGIN_ID = 'auth-secret-ring';

interface CookieAttributes {
  maxAge?: number;
  [key: string]: unknown;
}
interface AuthCookie {
  name: string;
  attributes: CookieAttributes;
}
/** What the hook reads of better-auth's endpoint context (1.7). */
interface HookContext {
  headers?: Headers;
  request?: Request;
  context: {
    secret: string;
    authCookies: { sessionToken: AuthCookie; sessionData: AuthCookie; dontRememberToken: AuthCookie };
    sessionConfig: { expiresIn: number };
    options: BetterAuthOptions;
  };
  setCookie(name: string, value: string, options?: CookieAttributes): string;
}

/**
 * A better-auth plugin that lets a key ring sign and verify the cookies better-auth signs with its secret.
 *
 * - `init` makes `ring.current` the secret better-auth signs and checks with (`ctx.context.secret`), whatever
 *   `secret` / `AUTH_SECRET` say; versioned `secrets` / `BETTER_AUTH_SECRETS` still govern what better-auth
 *   encrypts (they are left alone).
 * - A `hooks.before` hook (which better-auth runs for HTTP requests and for server-side `auth.api.*` calls alike)
 *   looks at each cookie of the request: a signed cookie (`session_token`, `dont_remember`, the OAuth `state`, ...)
 *   or the `compact` / `jwt` session cache that does not verify under `current` but verifies under an accepted
 *   key is re-signed under `current` in the request the endpoint sees, and re-issued to the client (`Set-Cookie`,
 *   before the endpoint's own cookies, so any cookie the endpoint sets or clears wins). A cookie valid under no key
 *   is left untouched: better-auth refuses it exactly as without the plugin.
 *
 * With an empty `accepted` list the hook never matches: plain better-auth.
 */
export function authSecretRing(ring: AuthSecretRing): BetterAuthPlugin {
  const accepted = [...ring.accepted];
  return {
    id: SECRET_RING_PLUGIN_ID,
    init: () => ({ context: { secret: ring.current } }),
    hooks: {
      before: [
        {
          matcher: () => accepted.length > 0,
          handler: createAuthMiddleware(async (ctx) => resignRequestCookies(ctx as unknown as HookContext, ring.current, accepted)),
        },
      ],
    },
  } satisfies BetterAuthPlugin;
}

/**
 * `options` with the ring: `secret` set to `ring.current` (so nothing falls back to a JSON AUTH_SECRET) and the
 * plugin appended.
 */
export function withAuthSecretRing<O extends BetterAuthOptions>(options: O, ring: AuthSecretRing): O {
  return { ...options, secret: ring.current, plugins: [...(options.plugins ?? []), authSecretRing(ring)] };
}

async function resignRequestCookies(ctx: HookContext, current: string, accepted: string[]) {
  const headers = ctx.headers ?? ctx.request?.headers;
  const header = headers?.get('cookie');
  if (!header) return;
  const { authCookies, sessionConfig, options } = ctx.context;
  const strategy = options.session?.cookieCache?.strategy ?? 'compact';
  const pairs = splitCookieHeader(header);
  const resigned = new Map<string, string>();
  for (const [name, raw] of pairs) {
    if (resigned.has(name)) continue;
    const decoded = tryDecode(raw);
    let value: string | undefined;
    if (name === authCookies.sessionData.name) {
      if (strategy === 'compact') value = await resignCompactCache(decoded, current, accepted);
      else if (strategy === 'jwt' && !(ctx.context as { sessionConfig: { cookieCacheSigner?: unknown } }).sessionConfig.cookieCacheSigner) {
        value = await resignJwtCache(decoded, current, accepted);
      }
    } else {
      value = await resignSignedCookie(decoded, current, accepted);
    }
    if (value !== undefined) resigned.set(name, value);
  }
  if (resigned.size === 0) return;

  const requestHeaders = new Headers(headers);
  requestHeaders.set(
    'cookie',
    pairs.map(([name, raw]) => `${name}=${resigned.has(name) ? encodeURIComponent(resigned.get(name)!) : raw}`).join('; '),
  );
  const dontRemember = pairs.some(([name]) => name === authCookies.dontRememberToken.name);
  for (const [name, value] of resigned) {
    ctx.setCookie(name, value, reissueAttributes(name, authCookies, sessionConfig.expiresIn, dontRemember));
  }
  return { context: { headers: requestHeaders } };
}

/** A signed cookie valid under an accepted key but not `current`: its value re-signed under `current`. */
async function resignSignedCookie(decoded: string, current: string, accepted: string[]): Promise<string | undefined> {
  const signed = splitSigned(decoded);
  if (!signed || (await verifySigned(signed.value, signed.signature, current))) return undefined;
  for (const key of accepted) {
    if (await verifySigned(signed.value, signed.signature, key)) return signValue(signed.value, current);
  }
  return undefined;
}

/** The compact cache (base64url JSON `{session, expiresAt, signature}`), re-signed under `current`. */
async function resignCompactCache(decoded: string, current: string, accepted: string[]): Promise<string | undefined> {
  let parsed: { session?: Record<string, unknown>; expiresAt?: unknown; signature?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(decoded, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (
    !parsed ||
    typeof parsed !== 'object' ||
    typeof parsed.signature !== 'string' ||
    !parsed.session ||
    typeof parsed.expiresAt !== 'number'
  )
    return undefined;
  const data = JSON.stringify({ ...parsed.session, expiresAt: parsed.expiresAt });
  const matches = async (key: string) => constantTimeEqual(await hmacBase64Url(data, key), parsed.signature as string);
  if (await matches(current)) return undefined;
  for (const key of accepted) {
    if (await matches(key)) {
      const signature = await hmacBase64Url(data, current);
      return Buffer.from(JSON.stringify({ session: parsed.session, expiresAt: parsed.expiresAt, signature }), 'utf8').toString('base64url');
    }
  }
  return undefined;
}

/** The jwt cache (HS256), re-signed under `current` with the same claims (same expiry). */
async function resignJwtCache(token: string, current: string, accepted: string[]): Promise<string | undefined> {
  const verify = async (key: string) => {
    try {
      return (await jwtVerify(token, new TextEncoder().encode(key), { algorithms: ['HS256'] })).payload;
    } catch {
      return undefined;
    }
  };
  if (await verify(current)) return undefined;
  for (const key of accepted) {
    const payload = await verify(key);
    if (payload) return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(current));
  }
  return undefined;
}

/** The attributes better-auth gives the cookie when it sets it itself (unknown cookies: its session token's, no max-age). */
function reissueAttributes(
  name: string,
  cookies: HookContext['context']['authCookies'],
  expiresIn: number,
  dontRemember: boolean,
): CookieAttributes {
  if (name === cookies.sessionToken.name) return { ...cookies.sessionToken.attributes, maxAge: dontRemember ? undefined : expiresIn };
  if (name === cookies.sessionData.name)
    return { ...cookies.sessionData.attributes, maxAge: dontRemember ? undefined : cookies.sessionData.attributes.maxAge };
  if (name === cookies.dontRememberToken.name) return { ...cookies.dontRememberToken.attributes };
  const { maxAge: _ignored, ...session } = cookies.sessionToken.attributes;
  return session;
}

/** `name=value` pairs of a Cookie header, in order, values as sent. */
function splitCookieHeader(header: string): [string, string][] {
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.includes('='))
    .map((part) => {
      const at = part.indexOf('=');
      let value = part.slice(at + 1).trim();
      if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return [part.slice(0, at).trim(), value] as [string, string];
    });
}

function tryDecode(value: string): string {
  try {
    return value.includes('%') ? decodeURIComponent(value) : value;
  } catch {
    return value;
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
