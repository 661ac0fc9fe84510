import {
  findSecretValue,
  isBrowserEnvName,
  isSecretDynamicReference,
  isSecretName,
  MANAGED_SECRET_NAMES,
  normalizeName,
  TOKEN_PLACEHOLDER,
} from '../../lib/guardrails';
import { FAKE } from './fakes';

describe('isSecretName', () => {
  test.each([
    ...MANAGED_SECRET_NAMES,
    'SMTP_PASSWORD',
    'GITHUB_TOKEN',
    'SENDGRID_API_KEY',
    'JWT_SECRET',
    'OAUTH_CLIENT_SECRET',
    'SIGNING_KEY',
    'DB_PASS',
    'auth_secret',
  ])('%s is a secret name', (name) => expect(isSecretName(name)).toBe(true));
  test.each([
    'AUTH_SECRET_ARN',
    'DATABASE_URL_SECRET_NAME',
    'TOKEN_TTL_SECONDS',
    'PASSWORD_MIN_LENGTH',
    'SECRETS_PREFIX',
    'VITE_API_BASE_URL',
    'PWD',
    'SSL_BYPASS',
    'KEY_ALIAS',
    'API_BASE_URL',
    'NODE_ENV',
  ])('%s is not a secret name', (name) => expect(isSecretName(name)).toBe(false));

  // Any case style: camelCase, PascalCase with acronyms, kebab, dotted, CLI flags, a version number.
  test.each([
    ['stripeSecretKey', 'STRIPE_SECRET_KEY'],
    ['auth-secret', 'AUTH_SECRET'],
    ['db.password', 'DB_PASSWORD'],
    ['--db-password', 'DB_PASSWORD'],
    ['APIKey', 'API_KEY'],
    ['MySQLPassword', 'MY_SQL_PASSWORD'],
    ['databaseUrl', 'DATABASE_URL'],
    ['MasterUserPassword', 'MASTER_USER_PASSWORD'],
    ['apiKey2', 'API_KEY'],
    ['SIGNING_KEY_1', 'SIGNING_KEY'],
  ])('%s is a secret name (%s)', (name, normalized) => {
    expect(normalizeName(name)).toBe(normalized);
    expect(isSecretName(name)).toBe(true);
  });
  test.each(['authSecretArn', 'auth-secret-arn', 'passwordMinLength', 'tokenTtlSeconds', 'secrets.prefix', 'ApiBaseUrl', 'Ssl.Bypass'])(
    '%s is not a secret name in any case style',
    (name) => expect(isSecretName(name)).toBe(false),
  );
});

test('isBrowserEnvName', () => {
  expect(isBrowserEnvName('VITE_API_BASE_URL')).toBe(true);
  expect(isBrowserEnvName('API_BASE_URL')).toBe(false);
});

describe('findSecretValue', () => {
  test.each(Object.keys(FAKE) as Array<keyof typeof FAKE>)('%s is recognised', (key) => {
    expect(findSecretValue(FAKE[key])).toBeDefined();
  });
  test.each([
    'sk_test_...',
    'whsec_...',
    'phc_...',
    'postgresql://app:${PASSWORD}@db/x',
    'postgresql://db:5432/x',
    'AKIA',
    'arn:aws:iam::123456789012:role/x',
  ])('%s is not a secret value', (v) => expect(findSecretValue(v)).toBeUndefined());

  const pgUrl = (password: string) => ['postgres', 'ql://app:', password, '@db.internal:5432/fleapo'].join('');
  test.each(['Pa$$w0rd!', 'a*b*c*d', 'x(y)z;w', 'k:v,w&z', 'p%40ss%2Fw', 'Tr0ub4dor&3', '^~=+[]{}|'])(
    'a postgres URL whose password has punctuation (%s) is recognised',
    (password) => {
      expect(findSecretValue(pgUrl(password))?.id).toBe('postgres-url-with-password');
    },
  );
  test.each([
    'password',
    'PASSWORD',
    '<password>',
    '${DB_PASSWORD}',
    '$PGPASSWORD',
    '{{password}}',
    '***',
    'xxxx',
    '...',
    TOKEN_PLACEHOLDER,
    'abc',
  ])('a postgres URL with a placeholder password (%s) is not a secret value', (password) => {
    expect(findSecretValue(pgUrl(password))).toBeUndefined();
  });
});

test('isSecretDynamicReference', () => {
  expect(isSecretDynamicReference('{{resolve:secretsmanager:arn:x:SecretString:::}}')).toBe(true);
  expect(isSecretDynamicReference('{{resolve:ssm-secure:/p:1}}')).toBe(true);
  expect(isSecretDynamicReference('{{resolve:ssm:/public/param}}')).toBe(false);
});
