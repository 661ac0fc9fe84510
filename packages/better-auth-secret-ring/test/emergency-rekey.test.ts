import { parseAuthSecretRing } from '../src';
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

/**
 * The emergency re-key (`fleapo-secrets contain AUTH_SECRET --sign-everyone-out`) with real better-auth: the leaked
 * ring {previous A, current B, next C} is replaced by a fresh ring {current X, next Y}. Cookies minted with any leaked
 * key (the session token and every cookie cache strategy, as someone holding the key signs them) are accepted by the
 * leaked ring and refused by every task that runs the fresh ring, i.e. once the rollout has completed.
 */
type Lookup = (auth: Instance, jar: CookieJar) => Promise<string | null>;
const LOOKUPS: [string, Lookup][] = [
  ['the HTTP handler', sessionUserOverHttp],
  ['auth.api.getSession (server side)', sessionUserServerSide],
];
const CACHES: (CookieCacheStrategy | undefined)[] = [undefined, 'compact', 'jwt', 'jwe'];

describe.each(LOOKUPS)('through %s', (_, lookup) => {
  test.each(CACHES)(
    'cookie cache %s: cookies minted with any key of the leaked ring are refused by every task on the fresh ring',
    async (cache) => {
      const db = sharedDatabase();
      const [A, B, C, X, Y] = [newKey(), newKey(), newKey(), newKey(), newKey()];
      const leaked = parseAuthSecretRing(JSON.stringify({ current: B, next: C, previous: A }));
      const fresh = parseAuthSecretRing(JSON.stringify({ current: X, next: Y }));
      const minted: { key: string; user: string; jar: CookieJar }[] = [];
      for (const [key, value] of Object.entries({ A, B, C })) {
        // Signed with the leaked key alone, as anyone holding it can sign (better-auth's own code doing the signing).
        const jar = new CookieJar();
        const user = await signUp(instance(db, parseAuthSecretRing(value), { cookieCache: cache }), jar);
        minted.push({ key, user, jar });
      }
      // Before the re-key: the leaked ring accepts all of them (the test can fail).
      for (const { user, jar } of minted) {
        const copy = new CookieJar();
        for (const [k, v] of jar.cookies) copy.cookies.set(k, v);
        expect(await lookup(instance(db, leaked, { cookieCache: cache }), copy)).toBe(user);
      }
      // After the rollout every task runs the fresh ring: each cookie is refused by each task.
      const tasks = [1, 2, 3].map(() => instance(db, fresh, { cookieCache: cache }));
      for (const { jar } of minted) {
        for (const task of tasks) {
          const copy = new CookieJar();
          for (const [k, v] of jar.cookies) copy.cookies.set(k, v);
          expect(await lookup(task, copy)).toBeNull();
        }
      }
      // And the fresh ring works: a new sign-in is served by every task.
      const jar = new CookieJar();
      const user = await signUp(tasks[0], jar);
      for (const task of tasks) expect(await lookup(task, jar)).toBe(user);
    },
  );
});
