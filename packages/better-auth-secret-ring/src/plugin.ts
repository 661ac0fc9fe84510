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
 * - Precedence is better-call's: only the first occurrence of a name is read by the endpoint, so only that one is
 *   considered and replaced. When a name the plugin would touch is sent more than once with different values
 *   (cookie tossing from a sibling subdomain), nothing in the request is re-signed.
 * - Re-issued cookies get the attributes better-auth gives them (session token, cookie cache, dont_remember); any
 *   other signed cookie is re-signed for the request only and keeps its own attributes in the browser.
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
  const pairs = parseCookiePairs(header);
  // better-call's parseCookies keeps the first occurrence of a name: that is the only one the endpoint reads.
  const read = firstOccurrences(pairs);
  const ownNames = [authCookies.sessionToken.name, authCookies.sessionData.name, authCookies.dontRememberToken.name];
  const resigned = new Map<string, string>();
  for (const [name, decoded] of read) {
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
  // A name sent twice with different values (a cookie planted from a sibling subdomain or another path beside the
  // real one): whichever the browser put first, nothing is re-signed, so the endpoint judges exactly what it would
  // judge without the plugin and no planted value is ever persisted under `current`.
  const ambiguous = ambiguousNames(pairs);
  if ([...ownNames, ...resigned.keys()].some((name) => ambiguous.has(name))) return;

  const requestHeaders = new Headers(headers);
  requestHeaders.set('cookie', replaceFirstOccurrences(header, pairs, resigned));
  const dontRemember = read.has(authCookies.dontRememberToken.name);
  for (const [name, value] of resigned) {
    const attributes = reissueAttributes(name, authCookies, sessionConfig.expiresIn, dontRemember);
    // A cookie better-auth does not describe here keeps its own attributes (path, domain, lifetime), which the
    // request does not carry: it is re-signed for this request only, not re-issued under guessed attributes.
    if (attributes) ctx.setCookie(name, value, attributes);
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

/**
 * The attributes better-auth gives the cookie when it sets it itself (the original's), for the three cookies whose
 * attributes it describes (`authCookies`); undefined for any other cookie.
 */
function reissueAttributes(
  name: string,
  cookies: HookContext['context']['authCookies'],
  expiresIn: number,
  dontRemember: boolean,
): CookieAttributes | undefined {
  if (name === cookies.sessionToken.name) return { ...cookies.sessionToken.attributes, maxAge: dontRemember ? undefined : expiresIn };
  if (name === cookies.sessionData.name)
    return { ...cookies.sessionData.attributes, maxAge: dontRemember ? undefined : cookies.sessionData.attributes.maxAge };
  if (name === cookies.dontRememberToken.name) return { ...cookies.dontRememberToken.attributes };
  return undefined;
}

/** One `name=value` of a Cookie header: where its value is in the header, as sent, and decoded as better-call decodes it. */
export interface CookiePair {
  readonly name: string;
  /** The value as better-call reads it: trimmed, one pair of surrounding quotes removed, URI-decoded when it can be. */
  readonly decoded: string;
  /** Offsets of the value as sent (after trimming) in the header. */
  readonly start: number;
  readonly end: number;
}

/**
 * Every `name=value` of a Cookie header, in order, found exactly as better-call's `parseCookies` walks the header
 * (same separators, trimming, quote removal and decoding), but keeping every occurrence of a name.
 */
export function parseCookiePairs(header: string): CookiePair[] {
  const pairs: CookiePair[] = [];
  let index = 0;
  while (index < header.length) {
    const eq = header.indexOf('=', index);
    if (eq === -1) break;
    let end = header.indexOf(';', index);
    if (end === -1) end = header.length;
    else if (end < eq) {
      index = header.lastIndexOf(';', eq - 1) + 1;
      continue;
    }
    const name = header.slice(index, eq).trim();
    const rawWithSpace = header.slice(eq + 1, end);
    const start = eq + 1 + (rawWithSpace.length - rawWithSpace.trimStart().length);
    const raw = rawWithSpace.trim();
    const unquoted = raw.codePointAt(0) === 0x22 ? raw.slice(1, -1) : raw;
    pairs.push({ name, decoded: tryDecode(unquoted), start, end: start + raw.length });
    index = end + 1;
  }
  return pairs;
}

/** The value the endpoint reads for each name: its first occurrence (better-call's `parseCookies`). */
export function firstOccurrences(pairs: readonly CookiePair[]): Map<string, string> {
  const read = new Map<string, string>();
  for (const pair of pairs) if (!read.has(pair.name)) read.set(pair.name, pair.decoded);
  return read;
}

/** Names that occur more than once with different values. */
function ambiguousNames(pairs: readonly CookiePair[]): Set<string> {
  const first = firstOccurrences(pairs);
  return new Set(pairs.filter((pair) => pair.decoded !== first.get(pair.name)).map((pair) => pair.name));
}

/** `header` with the first occurrence of each re-signed name's value replaced (URI-encoded); everything else as sent. */
function replaceFirstOccurrences(header: string, pairs: readonly CookiePair[], resigned: ReadonlyMap<string, string>): string {
  const done = new Set<string>();
  let out = '';
  let at = 0;
  for (const pair of pairs) {
    if (done.has(pair.name)) continue;
    done.add(pair.name);
    const value = resigned.get(pair.name);
    if (value === undefined) continue;
    out += header.slice(at, pair.start) + encodeURIComponent(value);
    at = pair.end;
  }
  return out + header.slice(at);
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
