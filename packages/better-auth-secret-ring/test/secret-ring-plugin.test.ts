import { createHmac } from 'node:crypto';
import { parseAuthSecretRing, type AuthSecretRing } from '../src';
import { splitSigned } from '../src/signed-cookie';
import {
  CookieJar,
  instance,
  newKey,
  sessionUserOverHttp,
  sessionUserServerSide,
  sharedDatabase,
  signUp,
  type CookieCacheStrategy,
  type Instance,
} from './better-auth-harness';

const SESSION = 'better-auth.session_token';
const CACHE = 'better-auth.session_data';
const DONT_REMEMBER = 'better-auth.dont_remember';

/** The key (by name) a signed cookie of the jar verifies under, or undefined. */
function signedUnder(jar: CookieJar, name: string, keys: Record<string, string>): string | undefined {
  const raw = jar.cookies.get(name);
  const signed = raw === undefined ? undefined : splitSigned(decodeURIComponent(raw));
  if (!signed) return undefined;
  return Object.entries(keys).find(([, key]) => createHmac('sha256', key).update(signed.value).digest('base64') === signed.signature)?.[0];
}

/** The versions of the ring as the rotation writes them: v0 a plain key, then publish, then switch after switch. */
function versions() {
  const [A, B, C, D] = [newKey(), newKey(), newKey(), newKey()];
  const ring = (value: unknown) => parseAuthSecretRing(typeof value === 'string' ? value : JSON.stringify(value));
  return {
    keys: { A, B, C, D },
    v0: ring(A),
    v1: ring({ current: A, next: B }),
    v2: ring({ current: B, next: C, previous: A }),
    v3: ring({ current: C, next: D, previous: B }),
  };
}

type Lookup = (auth: Instance, jar: CookieJar) => Promise<string | null>;
const LOOKUPS: [string, Lookup][] = [
  ['the HTTP handler', sessionUserOverHttp],
  ['auth.api.getSession (server side)', sessionUserServerSide],
];
const CACHES: (CookieCacheStrategy | undefined)[] = [undefined, 'compact', 'jwt', 'jwe'];

describe.each(LOOKUPS)('through %s', (_, lookup) => {
  describe.each(CACHES)('cookie cache %s', (cache) => {
    test('a user signed in under A is never refused while old and new instances serve side by side through rotations to B and C, and ends up re-signed under each', async () => {
      const db = sharedDatabase();
      const v = versions();
      const at = (ring: AuthSecretRing) => instance(db, ring, { cookieCache: cache });
      const jar = new CookieJar();
      const user = await signUp(at(v.v0), jar);
      expect(signedUnder(jar, SESSION, v.keys)).toBe('A');

      // Each rollout: requests alternate between old and new instances, many times.
      for (const [old, next, signer] of [
        [v.v0, v.v1, 'A'],
        [v.v1, v.v2, 'B'],
        [v.v2, v.v3, 'C'],
      ] as const) {
        const [oldTask, newTask] = [at(old), at(next)];
        for (let i = 0; i < 3; i++) {
          expect(await lookup(oldTask, jar)).toBe(user);
          expect(await lookup(newTask, jar)).toBe(user);
        }
        // After any request to a new task, the cookie is signed with the new current key.
        expect(signedUnder(jar, SESSION, v.keys)).toBe(signer);
        expect(await lookup(at(next), jar)).toBe(user);
      }
    });

    test('a cookie still under A is refused once A has left the ring (after the rotation to C), as plain better-auth refuses it', async () => {
      const db = sharedDatabase();
      const v = versions();
      const jar = new CookieJar();
      await signUp(instance(db, v.v1, { cookieCache: cache }), jar);
      const stale = new CookieJar();
      for (const [k, value] of jar.cookies) stale.cookies.set(k, value);
      expect(await lookup(instance(db, v.v3, { cookieCache: cache }), stale)).toBeNull();
      // Plain better-auth on C refuses it the same way.
      expect(await lookup(instance(db, { plainSecret: v.keys.C }, { cookieCache: cache }), jar)).toBeNull();
    });
  });

  test('tampered cookies are refused by every instance: changed token, changed signature, signature of another key', async () => {
    const db = sharedDatabase();
    const v = versions();
    const jar = new CookieJar();
    await signUp(instance(db, v.v1), jar);
    const raw = decodeURIComponent(jar.cookies.get(SESSION)!);
    const { value, signature } = splitSigned(raw)!;
    const foreign = createHmac('sha256', newKey()).update(value).digest('base64');
    const flipped = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    for (const forged of [`${flipped(value, 3)}.${signature}`, `${value}.${flipped(signature, 5)}`, `${value}.${foreign}`, value]) {
      for (const ring of [v.v0, v.v1, v.v2]) {
        const tampered = new CookieJar();
        tampered.cookies.set(SESSION, encodeURIComponent(forged));
        expect(await lookup(instance(db, ring), tampered)).toBeNull();
      }
    }
  });
});

test('the re-issued cookies keep "remember me" off: dont_remember is re-signed too and the session cookie gets no max-age', async () => {
  const db = sharedDatabase();
  const v = versions();
  const jar = new CookieJar();
  const user = await signUp(instance(db, v.v1), jar, false);
  expect(signedUnder(jar, DONT_REMEMBER, v.keys)).toBe('A');
  const response = await instance(db, v.v2).handler(new Request('http://fleapo.test/api/auth/get-session', { headers: jar.headers() }));
  const setCookies = response.headers.getSetCookie();
  jar.apply(response.headers);
  expect(((await response.json()) as { user: { id: string } }).user.id).toBe(user);
  expect(signedUnder(jar, DONT_REMEMBER, v.keys)).toBe('B');
  expect(signedUnder(jar, SESSION, v.keys)).toBe('B');
  expect(setCookies.find((c) => c.startsWith(`${SESSION}=`))).not.toMatch(/max-age/i);
});

test('compact and jwt caches are re-signed under the new key (served from the cache, no database read)', async () => {
  for (const strategy of ['compact', 'jwt'] as const) {
    const db = sharedDatabase();
    const v = versions();
    const jar = new CookieJar();
    const user = await signUp(instance(db, v.v1, { cookieCache: strategy }), jar);
    const before = jar.cookies.get(CACHE);
    expect(before).toBeDefined();
    // The database loses the session: only a valid cache can still answer.
    (db.session as unknown[]).length = 0;
    expect(await sessionUserOverHttp(instance(db, v.v2, { cookieCache: strategy }), jar)).toBe(user);
    expect(jar.cookies.get(CACHE)).toBeDefined();
    expect(jar.cookies.get(CACHE)).not.toBe(before);
    // Plain better-auth on B (no ring) accepts the re-issued cache: it is signed under B.
    expect(await sessionUserOverHttp(instance(db, { plainSecret: v.keys.B }, { cookieCache: strategy }), jar)).toBe(user);
  }
});

test('with versioned secrets (BETTER_AUTH_SECRETS) for encrypted data, cookies are signed with the ring and the jwe cache decrypts with any listed version', async () => {
  const db = sharedDatabase();
  const v = versions();
  const secrets = [
    { version: 2, value: newKey() },
    { version: 1, value: newKey() },
  ];
  const jar = new CookieJar();
  const user = await signUp(instance(db, v.v1, { cookieCache: 'jwe', secrets }), jar);
  expect(signedUnder(jar, SESSION, v.keys)).toBe('A');
  (db.session as unknown[]).length = 0; // only the cache can answer
  expect(await sessionUserOverHttp(instance(db, v.v2, { cookieCache: 'jwe', secrets }), jar)).toBe(user);
  expect(signedUnder(jar, SESSION, v.keys)).toBe('B');
});

test('with only AUTH_SECRET (a single key) it is plain better-auth: same cookies, nothing re-issued', async () => {
  const db = sharedDatabase();
  const key = newKey();
  const ringJar = new CookieJar();
  const plainJar = new CookieJar();
  const user = await signUp(instance(db, parseAuthSecretRing(key)), ringJar);
  for (const [k, value] of ringJar.cookies) plainJar.cookies.set(k, value);
  const withRing = await instance(db, parseAuthSecretRing(key)).handler(
    new Request('http://fleapo.test/api/auth/get-session', { headers: ringJar.headers() }),
  );
  const plain = await instance(db, { plainSecret: key }).handler(
    new Request('http://fleapo.test/api/auth/get-session', { headers: plainJar.headers() }),
  );
  expect(withRing.headers.getSetCookie()).toEqual(plain.headers.getSetCookie());
  expect(((await withRing.json()) as { user: { id: string } }).user.id).toBe(user);
  expect(((await plain.json()) as { user: { id: string } }).user.id).toBe(user);
});
