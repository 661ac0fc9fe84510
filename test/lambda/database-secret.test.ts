import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { alternateRole, baseRole, formatPostgresUrl, parseDatabaseSecret, parsePostgresUrl } from '../../runtime/database-secret';
import { nextRole } from '../../lambda/playbooks/database-url-playbook';
import { buildDatabaseUrl } from '../../lambda/postgres/database-target';
import { scramSha256Verifier } from '../../lambda/postgres/scram-verifier';
import { isConfiguredService } from '../../runtime/retirement-trigger';
import { emfRecord } from '../../lambda/observability/emf-metric';
import { readDatabaseSettings, readEcsTarget } from '../../lambda/config/env';

describe('postgres URL and bootstrap JSON', () => {
  test('round-trips a URL, preserving the query', () => {
    const value = 'postgres://app:p%2Fw@db.example.com:6432/fleapo?sslmode=require'; // secretlint-disable-line -- test fixture, not a credential
    const url = parsePostgresUrl(value, 'x');
    expect(url).toMatchObject({
      user: 'app',
      password: 'p/w',
      host: 'db.example.com',
      port: 6432,
      database: 'fleapo',
      query: '?sslmode=require',
    });
    expect(formatPostgresUrl(url)).toBe(value);
  });

  test('errors name the secret, never the value', () => {
    for (const value of [
      // secretlint-disable-next-line -- test fixture, not a credential
      'mysql://u:hunter2hunter2@h/db',
      'not a url hunter2hunter2',
      '{"username":"u","password":"hunter2hunter2"}',
      'postgres://u@h/db',
    ]) {
      let message = '';
      try {
        parseDatabaseSecret(value, 'Secret fleapo/prod/database-url: AWSCURRENT');
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^Secret fleapo\/prod\/database-url: AWSCURRENT/);
      expect(message).not.toContain('hunter2');
    }
  });

  test('bootstrap JSON becomes a URL for the same user', () => {
    const current = parseDatabaseSecret(
      '{"username":"app","password":"x","host":"h","port":5432,"dbname":"fleapo","sslmode":"require"}',
      'x',
    );
    expect(current.kind).toBe('bootstrap');
    // The new URL is built from the configuration (here the same target, TLS required), for the JSON's own user.
    const settings = { target: { host: 'h', port: 5432, database: 'fleapo', appUser: 'app' }, ssl: 'require' as const };
    expect(buildDatabaseUrl(settings, nextRole(current), 'newpw')).toBe('postgres://app:newpw@h:5432/fleapo?sslmode=require'); // secretlint-disable-line -- test fixture, not a credential
  });

  test('alternating users', () => {
    expect(alternateRole('app')).toBe('app_clone');
    expect(alternateRole('app_clone')).toBe('app');
    expect(baseRole('app_clone')).toBe('app');
    const current = parseDatabaseSecret('postgres://app_clone:a@h:5432/d', 'x');
    expect(nextRole(current)).toBe('app');
  });
});

test('SCRAM-SHA-256 verifier matches RFC 7677 derivation', () => {
  const salt = Buffer.from('0123456789abcdef');
  const verifier = scramSha256Verifier('pencil', salt, 4096);
  const [, iterSalt, keys] = /^SCRAM-SHA-256\$(.*)\$(.*)$/.exec(verifier)!;
  expect(iterSalt).toBe(`4096:${salt.toString('base64')}`);
  const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
  const stored = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest('base64');
  const server = createHmac('sha256', salted).update('Server Key').digest('base64');
  expect(keys).toBe(`${stored}:${server}`);
});

describe('retirement triggers', () => {
  test('service matching by ARN or name', () => {
    const arn = 'arn:aws:ecs:us-east-1:1:service/fleapo/api';
    expect(isConfiguredService(arn, arn)).toBe(true);
    expect(isConfiguredService(arn, 'api')).toBe(true);
    expect(isConfiguredService(arn, 'web')).toBe(false);
  });
});

test('EMF record shape', () => {
  const rec = JSON.parse(emfRecord('RetirementBlocked', 1, 'prod', 0));
  expect(rec).toEqual({
    _aws: {
      Timestamp: 0,
      CloudWatchMetrics: [
        { Namespace: 'Fleapo/SecretsRotation', Dimensions: [['Environment']], Metrics: [{ Name: 'RetirementBlocked', Unit: 'Count' }] },
      ],
    },
    Environment: 'prod',
    RetirementBlocked: 1,
  });
  expect(JSON.parse(emfRecord('RetirementBlocked', 1, undefined, 0))._aws.CloudWatchMetrics[0].Dimensions).toEqual([[]]);
});

test('missing env vars are named', () => {
  expect(() => readEcsTarget({})).toThrow('Missing required environment variable ECS_CLUSTER');
  const db = { MASTER_SECRET_ARN: 'a', DB_HOST: 'DB.example.com', DB_PORT: '5432', DB_NAME: 'fleapo', DB_APP_USER: 'app' };
  expect(() => readDatabaseSettings({})).toThrow('Missing required environment variable MASTER_SECRET_ARN');
  expect(readDatabaseSettings(db)).toEqual({
    masterSecretArn: 'a',
    ssl: 'require',
    connectTimeoutMs: 5000,
    target: { host: 'db.example.com', port: 5432, database: 'fleapo', appUser: 'app' },
  });
  expect(readDatabaseSettings({ ...db, DB_SSL: 'disable' }).ssl).toBe('disable');
  expect(() => readDatabaseSettings({ ...db, DB_SSL: 'prefer' })).toThrow('DB_SSL');
  for (const name of ['DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_APP_USER']) {
    expect(() => readDatabaseSettings({ ...db, [name]: undefined })).toThrow(`Missing required environment variable ${name}`);
  }
  expect(() => readDatabaseSettings({ ...db, DB_PORT: '5432x' })).toThrow('Environment variable DB_PORT must be a port number');
  expect(() => readDatabaseSettings({ ...db, DB_APP_USER: 'app_clone' })).toThrow('DB_APP_USER must be the base application role');
  // Plain text to the database is for a test database only: never in a production environment.
  expect(() => readDatabaseSettings({ ...db, DB_SSL: 'disable', FLEAPO_ENVIRONMENT: 'prod' })).toThrow(
    "Environment variable DB_SSL must be 'require' in the production environment prod",
  );
  expect(readDatabaseSettings({ ...db, DB_SSL: 'require', FLEAPO_ENVIRONMENT: 'prod' }).ssl).toBe('require');
});
