import { randomBytes } from 'node:crypto';
import { authSecretRingFromEnv, parseAuthSecretRing } from '../src';

const key = () => randomBytes(64).toString('hex');

test('a single key is a ring of one: sign with it, accept nothing else', () => {
  const k = key();
  expect(parseAuthSecretRing(k)).toEqual({ current: k, accepted: [] });
});

test('a JSON ring signs with current and accepts next and previous (without duplicates of current)', () => {
  const [c, n, p] = [key(), key(), key()];
  expect(parseAuthSecretRing(JSON.stringify({ current: c, next: n, previous: p }))).toEqual({ current: c, accepted: [n, p] });
  expect(parseAuthSecretRing(JSON.stringify({ current: c, next: n }))).toEqual({ current: c, accepted: [n] });
  expect(parseAuthSecretRing(JSON.stringify({ current: c, previous: c }))).toEqual({ current: c, accepted: [] });
});

test('AUTH_SECRET_OLD and AUTH_SECRET_NEXT add accepted keys', () => {
  const [c, o, n] = [key(), key(), key()];
  expect(authSecretRingFromEnv({ AUTH_SECRET: c, AUTH_SECRET_OLD: o, AUTH_SECRET_NEXT: n })).toEqual({ current: c, accepted: [o, n] });
});

test.each<[string, Record<string, string | undefined>, string]>([
  ['missing', {}, 'AUTH_SECRET is not set'],
  ['short', { AUTH_SECRET: 'ab12' }, 'AUTH_SECRET is neither 128 lower-case hex characters nor a JSON key ring'],
  ['upper-case', { AUTH_SECRET: key().toUpperCase() }, 'AUTH_SECRET is neither 128 lower-case hex characters nor a JSON key ring'],
  ['broken JSON', { AUTH_SECRET: `{"current":"${key()}"` }, 'AUTH_SECRET is not valid JSON'],
  ['no current', { AUTH_SECRET: JSON.stringify({ next: key() }) }, 'AUTH_SECRET: field "current" must be 128 lower-case hex characters'],
  [
    'bad next',
    { AUTH_SECRET: JSON.stringify({ current: key(), next: 'x'.repeat(128) }) },
    'AUTH_SECRET: field "next" must be 128 lower-case hex characters',
  ],
  [
    'unknown field',
    { AUTH_SECRET: JSON.stringify({ current: key(), nxt: key() }) },
    'AUTH_SECRET: unknown field "nxt" (expected current, next, previous)',
  ],
  ['bad AUTH_SECRET_OLD', { AUTH_SECRET: key(), AUTH_SECRET_OLD: 'abc' }, 'AUTH_SECRET_OLD must be 128 lower-case hex characters'],
])('%s: a clear error that names the problem, not the value', (_, env, message) => {
  expect(() => authSecretRingFromEnv(env)).toThrow(new Error(message));
});
