import { createHmac } from 'node:crypto';
import { parseAuthSecretRing, type AuthSecretRing } from '../src';
import { parseCookies } from 'better-call';
import { firstOccurrences, parseCookiePairs } from '../src/plugin';
import { splitSigned } from '../src/signed-cookie';
import {
  CookieJar,
  http,
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

describe('precedence: only the cookie the endpoint reads is considered (better-call reads the first occurrence of a name)', () => {
  /** The session cookie of a fresh user signed in under A, then re-signed under B by a request to a B instance. */
  async function setUp() {
    const db = sharedDatabase();
    const v = versions();
    const victimJar = new CookieJar();
    const victim = await signUp(instance(db, v.v1), victimJar);
    expect(await sessionUserOverHttp(instance(db, v.v2), victimJar)).toBe(victim);
    expect(signedUnder(victimJar, SESSION, v.keys)).toBe('B');
    // The attacker's own session, signed under A (now the previous key), planted beside the victim's from a sibling subdomain.
    const attackerJar = new CookieJar();
    const attacker = await signUp(instance(db, v.v1), attackerJar);
    expect(signedUnder(attackerJar, SESSION, v.keys)).toBe('A');
    return { db, v, victim, attacker, victimCookie: victimJar.cookies.get(SESSION)!, attackerCookie: attackerJar.cookies.get(SESSION)! };
  }

  /** get-session on `auth` with exactly this Cookie header: the user seen, and every Set-Cookie of the answer. */
  async function getSession(auth: Instance, cookie: string, over: 'http' | 'server') {
    if (over === 'http') {
      const response = await auth.handler(new Request('http://fleapo.test/api/auth/get-session', { headers: { cookie } }));
      const body = (await response.json()) as { user?: { id: string } } | null;
      return { user: body?.user?.id ?? null, setCookies: response.headers.getSetCookie() };
    }
    const { headers, response } = await auth.api.getSession({ headers: new Headers({ cookie }), returnHeaders: true });
    return { user: response?.user.id ?? null, setCookies: headers.getSetCookie() };
  }

  const tokenOf = (cookie: string) => splitSigned(decodeURIComponent(cookie))!.value;

  test.each(['http', 'server'] as const)(
    'cookie tossing (%s): the victim keeps their own session when the attacker plants a cookie signed under the previous key after theirs',
    async (over) => {
      const s = await setUp();
      const seen = await getSession(instance(s.db, s.v.v2), `${SESSION}=${s.victimCookie}; ${SESSION}=${s.attackerCookie}`, over);
      expect(seen.user).toBe(s.victim);
      // Nothing carrying the attacker's token is persisted in the victim's browser.
      expect(
        seen.setCookies.filter((c) => c.includes(encodeURIComponent(tokenOf(s.attackerCookie))) || c.includes(tokenOf(s.attackerCookie))),
      ).toEqual([]);
      expect(seen.setCookies.filter((c) => c.startsWith(`${SESSION}=`))).toEqual([]);
    },
  );

  test.each(['http', 'server'] as const)(
    'cookie tossing (%s): a planted cookie sent first is not re-signed either: the endpoint refuses it as plain better-auth does',
    async (over) => {
      const s = await setUp();
      const header = `${SESSION}=${s.attackerCookie}; ${SESSION}=${s.victimCookie}`;
      const seen = await getSession(instance(s.db, s.v.v2), header, over);
      expect(seen.user).not.toBe(s.attacker);
      expect(seen.setCookies.filter((c) => c.startsWith(`${SESSION}=`) && !/max-age=0/i.test(c))).toEqual([]);
      // Plain better-auth on B judges the same header the same way.
      expect((await getSession(instance(s.db, { plainSecret: s.v.keys.B }), header, over)).user).toBe(seen.user);
    },
  );

  test('the same cookie sent twice (identical values) is still re-signed, and re-issued with the attributes better-auth gave it', async () => {
    const db = sharedDatabase();
    const v = versions();
    const jar = new CookieJar();
    const signUpResponse = await http(instance(db, v.v1), jar, '/sign-up/email', {
      email: `u${newKey().slice(0, 8)}@fleapo.test`,
      password: `pw-${newKey().slice(0, 16)}`,
      name: 'User',
    });
    const user = ((await signUpResponse.json()) as { user: { id: string } }).user.id;
    const original = signUpResponse.headers.getSetCookie().find((c) => c.startsWith(`${SESSION}=`))!;
    const cookie = jar.cookies.get(SESSION)!;
    const seen = await getSession(instance(db, v.v2), `${SESSION}=${cookie}; other=1; ${SESSION}=${cookie}`, 'http');
    expect(seen.user).toBe(user);
    const reissued = seen.setCookies.filter((c) => c.startsWith(`${SESSION}=`));
    expect(reissued).toHaveLength(1);
    const attributes = (line: string) =>
      line
        .split(';')
        .slice(1)
        .map((a) => a.trim().toLowerCase())
        .sort();
    expect(attributes(reissued[0])).toEqual(attributes(original));
    const reissuedJar = new CookieJar();
    reissuedJar.apply(new Headers([['set-cookie', reissued[0]]]));
    expect(signedUnder(reissuedJar, SESSION, v.keys)).toBe('B');
  });

  test('a signed cookie better-auth does not describe is re-signed for the request only: never re-issued under guessed attributes', async () => {
    const s = await setUp();
    const unknown = 'better-auth.some_plugin_state';
    const state = `state-${newKey().slice(0, 12)}`;
    const signedUnderA = encodeURIComponent(`${state}.${createHmac('sha256', s.v.keys.A).update(state).digest('base64')}`);
    const seen = await getSession(instance(s.db, s.v.v2), `${SESSION}=${s.victimCookie}; ${unknown}=${signedUnderA}`, 'http');
    expect(seen.user).toBe(s.victim);
    expect(seen.setCookies.filter((c) => c.startsWith(`${unknown}=`))).toEqual([]);
  });

  test('the header is walked exactly as better-call walks it: the first occurrence of each name, decoded the same way', () => {
    const headers = [
      'a=1; b=2; a=3',
      ' a = "q%20v" ;b=%E0%A4%A;junk; c=x=y; a=',
      'x; y=1',
      `${SESSION}=v%2Fone.sig%3D; ${SESSION}=other`,
      '=empty; k=v',
    ];
    for (const header of headers) {
      expect(Object.fromEntries(firstOccurrences(parseCookiePairs(header)))).toEqual(Object.fromEntries(parseCookies(header)));
    }
  });
});
