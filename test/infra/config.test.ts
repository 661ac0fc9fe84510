import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { EXAMPLE_CONFIG } from '../../lib/config/example-config';
import { CONFIG_CONTEXT, CONFIG_FILE_CONTEXT, loadConfig, mergeConfig } from '../../lib/config/load-config';
import { ConfigError, checkRotationCron, validateConfig } from '../../lib/config/validate-config';

/** The example configuration with `override` merged in, validated. */
const withOverride = (override: unknown) => () => validateConfig(mergeConfig(EXAMPLE_CONFIG, override));

describe('the configuration', () => {
  test('ships example defaults for staging and prod that validate', () => {
    const config = validateConfig(EXAMPLE_CONFIG);
    expect(config.environments.map((e) => [e.name, e.account, e.region, e.secretPrefix])).toEqual([
      ['staging', '111111111111', 'us-east-1', 'fleapo/staging'],
      ['prod', '111111111111', 'us-east-1', 'fleapo/prod'],
    ]);
    expect(config.accounts['111111111111'].cdkBootstrapQualifier).toBe('hnb659fds');
  });

  test.each([
    ['a bad account id', { environments: { prod: { account: '1234' } } }, /environment "prod": field "account" must be a 12-digit AWS account id \(got "1234"\)/],
    ['a region that is not one', { environments: { staging: { region: 'us-middle-9' } } }, /environment "staging": field "region" must be an AWS region/],
    ['two environments with the same prefix', { environments: { staging: { secretPrefix: 'fleapo/prod' } } }, /environment "prod": field "secretPrefix" \("fleapo\/prod"\) overlaps environment "staging"/],
    ['a prefix nested in another', { environments: { staging: { secretPrefix: 'fleapo/prod/staging' } } }, /overlaps environment/],
    ['an image without a tag or digest', { environments: { prod: { service: { image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/fleapo-web' } } } }, /environment "prod".service: field "image" must be a container image with a tag or a digest/],
    ['an image with a registry port but no tag', { environments: { prod: { service: { image: 'registry.example.com:5000/fleapo-web' } } } }, /field "image" must be a container image with a tag or a digest/],
    ['a missing field', { environments: { prod: { database: { host: null } } } }, /environment "prod".database: field "host" must be a host name \(got nothing\)/],
    ['a missing section', { environments: { prod: { github: null } } }, /environment "prod": field "github" must be an object/],
    ['both a deploy environment and a branch', { environments: { prod: { github: { deployBranch: 'main' } } } }, /environment "prod".github: give exactly one of "deployEnvironment" and "deployBranch"/],
    ['a master secret of another account', { environments: { prod: { database: { masterSecretArn: 'arn:aws:secretsmanager:us-east-1:999999999999:secret:rds-AbCdEf' } } } }, /field "masterSecretArn" must be a secret of this environment's account/],
    ['a subnet in another region', { environments: { prod: { network: { availabilityZones: ['eu-west-1a', 'us-east-1b', 'us-east-1c'] } } } }, /availability zone "eu-west-1a" is not in region us-east-1/],
    ['a rotation cron at minute 5', { environments: { prod: { rotation: { authSecretSchedule: 'cron(5 4 ? * SUN *)' } } } }, /environment "prod".rotation: field "authSecretSchedule" must be a Secrets Manager cron/],
    ['a Fargate CPU size that does not exist', { environments: { staging: { service: { cpu: 300 } } } }, /field "cpu" must be one of 256/],
    ['plaintext to the production database', { environments: { prod: { database: { ssl: 'disable' } } } }, /environment "prod".database: field "ssl" must be "require" in the production environment "prod"/],
    ['plaintext to a database of an environment with live Stripe keys', { environments: { staging: { database: { ssl: 'disable' }, externalServices: { stripeMode: 'live' } } } }, /environment "staging".database: field "ssl" must be "require" in the production environment "staging"/],
    ['a PostHog host over plain HTTP', { environments: { prod: { externalServices: { posthogApiHost: 'http://us.i.posthog.com' } } } }, /environment "prod".externalServices: field "posthogApiHost" must be an https:\/\/ origin/],
    ['a bad bootstrap qualifier', { accounts: { '111111111111': { cdkBootstrapQualifier: 'Not-Valid' } } }, /accounts.111111111111: field "cdkBootstrapQualifier" must be a CDK bootstrap qualifier/],
    ['an environment without a bootstrap of its own', { environments: { prod: { cdkBootstrapQualifier: null } } }, /environment "prod": field "cdkBootstrapQualifier" must be a CDK bootstrap qualifier/],
    ['two environments of one account sharing a bootstrap', { environments: { prod: { cdkBootstrapQualifier: 'fleapostg' } } }, /environment "staging": field "cdkBootstrapQualifier" \("fleapostg"\) is also environment "prod"'s/],
    ['an environment on the administrator\'s bootstrap', { environments: { staging: { cdkBootstrapQualifier: 'hnb659fds' } } }, /environment "staging": field "cdkBootstrapQualifier" \("hnb659fds"\) is account 111111111111's administrator qualifier/],
    ['an environment name that covers another\'s names', { environments: { 'prod-eu': EXAMPLE_CONFIG.environments.prod } }, /environment "prod-eu": its name starts with environment "prod"'s name and a dash/],
  ])('refuses %s with a message naming the environment and field', (_what, override, message) => {
    expect(withOverride(override)).toThrow(ConfigError);
    expect(withOverride(override)).toThrow(message);
  });

  test('accepts a database without TLS outside production (a test database)', () => {
    const config = withOverride({ environments: { staging: { database: { ssl: 'disable' } } } })();
    expect(config.environments.find((e) => e.name === 'staging')?.database.ssl).toBe('disable');
  });

  test('reports every problem at once', () => {
    try {
      withOverride({ environments: { prod: { account: 'x', region: 'nowhere' }, staging: { service: { desiredCount: -1 } } } })();
      throw new Error('expected a ConfigError');
    } catch (e) {
      // Checks that depend on a bad field (zones in the region, the master secret's account) are not reported twice.
      expect((e as ConfigError).problems).toEqual([
        'environment "staging".service: field "desiredCount" must be an integer from 0 to 1000 (got -1)',
        'environment "prod": field "account" must be a 12-digit AWS account id (got "x")',
        'environment "prod": field "region" must be an AWS region such as us-east-1 (got "nowhere")',
      ]);
    }
  });

  test('checks rotation crons as Secrets Manager does', () => {
    expect(checkRotationCron('cron(0 4 ? * SUN *)')).toBeUndefined();
    expect(checkRotationCron('cron(0 4 1 * ? *)')).toBeUndefined();
    expect(checkRotationCron('cron(0 4 * * SUN *)')).toMatch(/exactly one of day-of-month and day-of-week/);
    expect(checkRotationCron('cron(0 25 ? * SUN *)')).toMatch(/single hour from 0 to 23/);
    expect(checkRotationCron('rate(7 days)')).toMatch(/must be a Secrets Manager cron/);
  });

  test('is overridden by the team without editing code: a config file, then inline context, null removing a field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-config-'));
    const file = path.join(dir, 'fleapo.json');
    fs.writeFileSync(file, JSON.stringify({ environments: { prod: { account: '222222222222', database: { masterSecretArn: 'arn:aws:secretsmanager:us-east-1:222222222222:secret:rds-AbCdEf' } } }, accounts: { '222222222222': { importExistingOidcProvider: true } } }));
    const app = new App({ context: { [CONFIG_FILE_CONTEXT]: file, [CONFIG_CONTEXT]: JSON.stringify({ environments: { staging: null } }) } });
    const config = loadConfig(app.node);
    expect(config.environments.map((e) => `${e.name}@${e.account}`)).toEqual(['prod@222222222222']);
    expect(config.accounts).toEqual({ '222222222222': { importExistingOidcProvider: true, cdkBootstrapQualifier: 'hnb659fds' } });
  });

  test('names a config file it cannot read or parse', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-config-'));
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{ "environments": ');
    expect(() => loadConfig(new App({ context: { [CONFIG_FILE_CONTEXT]: broken } }).node)).toThrow(/configuration file ".*broken.json" is not valid JSON/);
    expect(() => loadConfig(new App({ context: { [CONFIG_FILE_CONTEXT]: path.join(dir, 'missing.json') } }).node)).toThrow(/cannot read the configuration file ".*missing.json": ENOENT/);
  });
});

describe('the app entry (bin/app.ts, what `cdk synth` runs)', () => {
  test('fails with exit code 1 and the configuration message, without a stack trace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-entry-'));
    const file = path.join(dir, 'fleapo.json');
    fs.writeFileSync(file, JSON.stringify({ environments: { prod: { region: 'mars-north-1' } } }));
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, '..', '..', 'bin', 'app.ts')], {
      env: { ...process.env, FLEAPO_CONFIG_FILE: file, CDK_OUTDIR: path.join(dir, 'out') },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid fleapo configuration:');
    expect(result.stderr).toContain('environment "prod": field "region" must be an AWS region such as us-east-1 (got "mars-north-1")');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60000);
});
