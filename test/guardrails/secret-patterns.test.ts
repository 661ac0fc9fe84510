import { findSecretValue, isBrowserEnvName, isSecretDynamicReference, isSecretName, MANAGED_SECRET_NAMES } from '../../lib/guardrails';
import { FAKE } from './fakes';

describe('isSecretName', () => {
  test.each([...MANAGED_SECRET_NAMES, 'SMTP_PASSWORD', 'GITHUB_TOKEN', 'SENDGRID_API_KEY', 'JWT_SECRET', 'OAUTH_CLIENT_SECRET', 'SIGNING_KEY', 'DB_PASS', 'auth_secret'])(
    '%s is a secret name', (name) => expect(isSecretName(name)).toBe(true));
  test.each(['AUTH_SECRET_ARN', 'DATABASE_URL_SECRET_NAME', 'TOKEN_TTL_SECONDS', 'PASSWORD_MIN_LENGTH', 'SECRETS_PREFIX', 'VITE_API_BASE_URL', 'PWD', 'SSL_BYPASS', 'KEY_ALIAS', 'API_BASE_URL', 'NODE_ENV'])(
    '%s is not a secret name', (name) => expect(isSecretName(name)).toBe(false));
});

test('isBrowserEnvName', () => {
  expect(isBrowserEnvName('VITE_API_BASE_URL')).toBe(true);
  expect(isBrowserEnvName('API_BASE_URL')).toBe(false);
});

describe('findSecretValue', () => {
  test.each(Object.keys(FAKE) as Array<keyof typeof FAKE>)('%s is recognised', (key) => {
    expect(findSecretValue(FAKE[key])).toBeDefined();
  });
  test.each(['sk_test_...', 'whsec_...', 'phc_...', 'postgresql://app:${PASSWORD}@db/x', 'postgresql://db:5432/x', 'AKIA', 'arn:aws:iam::123456789012:role/x'])(
    '%s is not a secret value', (v) => expect(findSecretValue(v)).toBeUndefined());
});

test('isSecretDynamicReference', () => {
  expect(isSecretDynamicReference('{{resolve:secretsmanager:arn:x:SecretString:::}}')).toBe(true);
  expect(isSecretDynamicReference('{{resolve:ssm-secure:/p:1}}')).toBe(true);
  expect(isSecretDynamicReference('{{resolve:ssm:/public/param}}')).toBe(false);
});
