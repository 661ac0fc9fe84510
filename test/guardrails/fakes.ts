/**
 * Fake secrets for the guardrail tests. They are assembled at run time so that no
 * secret-looking literal sits in the source (secretlint scans this repository) and they are
 * never printed: tests assert on messages, which name variables and patterns, not values.
 */
const body = (n: number, seed = 'Fl3aPo9x'): string => seed.repeat(Math.ceil(n / seed.length)).slice(0, n);
const u = '_';

/** A literal password that matches no key pattern: only names and positions can tell it is a secret. */
export const FAKE_PASSWORD = ['hun', 'ter2', body(10, 'Zq8Kp3Rw')].join('-');

export const FAKE = {
  stripeLive: ['sk', 'live', body(24)].join(u),
  stripeTest: ['sk', 'test', body(24)].join(u),
  stripeRestricted: ['rk', 'live', body(24)].join(u),
  webhook: ['whsec', body(32)].join(u),
  posthogPersonal: ['phx', body(40)].join(u),
  posthogProject: ['phc', body(40)].join(u),
  postgresUrl: ['postgres', '://app:', 'hunter2', body(6), '@db.internal:5432/fleapo'].join(''),
  /** A password with the punctuation a generator or a person puts in (percent-encoding not needed for these). */
  postgresUrlPunctuated: ['postgresql', '://app.user:', 'Pa$$', '*w0rd!', '(', body(4), '):;,&=~^', '@db.internal:5432/fleapo'].join(''),
  awsKeyId: ['AK', 'IA', 'Q3EGRIJ4', 'ZW7XMK5N'].join(''),
  githubToken: ['gh', 'p', u, body(36, 'Qm7rT2xK')].join(''),
  privateKey: [
    '-----BEGIN ',
    'RSA PRIVATE KEY-----\n',
    'MIIEow',
    body(64, 'Ab3dEf9h'),
    '\n',
    body(64, 'Zx8wVu7t'),
    '\n',
    body(40, 'Kq2Lm5Np'),
    '\n-----END ',
    'RSA PRIVATE KEY-----\n',
  ].join(''),
};
