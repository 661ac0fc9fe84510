import { randomBytes } from 'node:crypto';
import { betterAuth, type BetterAuthOptions } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { withAuthSecretRing, type AuthSecretRing } from '../src';

export const BASE_URL = 'http://fleapo.test';
export type CookieCacheStrategy = 'compact' | 'jwt' | 'jwe';

/** A fresh 128-hex key. */
export const newKey = (): string => randomBytes(64).toString('hex');

/** The database every instance shares (as the tasks of a service share PostgreSQL). */
export function sharedDatabase(): Record<string, unknown[]> {
  return { user: [], session: [], account: [], verification: [] };
}

export interface InstanceOptions {
  cookieCache?: CookieCacheStrategy;
  /** Versioned secrets for encrypted data (BETTER_AUTH_SECRETS). */
  secrets?: { version: number; value: string }[];
}

/** A real better-auth instance (one app task) with the ring, or plain better-auth with `ring: undefined` and `secret`. */
export function instance(db: Record<string, unknown[]>, ring: AuthSecretRing | { plainSecret: string }, options: InstanceOptions = {}) {
  const base: BetterAuthOptions = {
    baseURL: BASE_URL,
    database: memoryAdapter(db),
    emailAndPassword: { enabled: true },
    logger: { disabled: true },
    telemetry: { enabled: false },
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.cookieCache ? { session: { cookieCache: { enabled: true, strategy: options.cookieCache, maxAge: 300 } } } : {}),
  };
  const config = 'plainSecret' in ring ? { ...base, secret: ring.plainSecret } : withAuthSecretRing(base, ring);
  return betterAuth(config);
}
export type Instance = ReturnType<typeof instance>;

/** A browser's cookie jar for one site: applies Set-Cookie (Max-Age=0 deletes), sends Cookie. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  headers(): Headers {
    return new Headers(this.cookies.size > 0 ? { cookie: this.header() } : {});
  }

  apply(headers: Headers | null | undefined): void {
    for (const line of headers?.getSetCookie() ?? []) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      const expired = attributes.some((a) => /^max-age=0$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** A request through the instance's HTTP handler, as the browser sends it; applies the answer's cookies. */
export async function http(auth: Instance, jar: CookieJar, path: string, body?: unknown): Promise<Response> {
  const headers = jar.headers();
  headers.set('origin', BASE_URL);
  if (body !== undefined) headers.set('content-type', 'application/json');
  const response = await auth.handler(
    new Request(`${BASE_URL}/api/auth${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  jar.apply(response.headers);
  return response;
}

/** GET /get-session through HTTP: the session's user id, or null. */
export async function sessionUserOverHttp(auth: Instance, jar: CookieJar): Promise<string | null> {
  const response = await http(auth, jar, '/get-session');
  if (response.status !== 200) throw new Error(`get-session answered ${response.status}`);
  const body = (await response.json()) as { user?: { id: string } } | null;
  return body?.user?.id ?? null;
}

/** `auth.api.getSession({ headers })` as a server-rendered page calls it; applies the returned cookies. */
export async function sessionUserServerSide(auth: Instance, jar: CookieJar): Promise<string | null> {
  const { headers, response } = await auth.api.getSession({ headers: jar.headers(), returnHeaders: true });
  jar.apply(headers);
  return response?.user.id ?? null;
}

/** Signs up a user (which signs them in); with `rememberMe: false`, signs in again without "remember me". */
export async function signUp(auth: Instance, jar: CookieJar, rememberMe = true): Promise<string> {
  const email = `u${randomBytes(4).toString('hex')}@fleapo.test`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const response = await http(auth, jar, '/sign-up/email', { email, password, name: 'User' });
  if (response.status !== 200) throw new Error(`sign-up answered ${response.status}`);
  const body = (await response.json()) as { user: { id: string } };
  if (!rememberMe) {
    const signIn = await http(auth, jar, '/sign-in/email', { email, password, rememberMe: false });
    if (signIn.status !== 200) throw new Error(`sign-in answered ${signIn.status}`);
  }
  return body.user.id;
}
