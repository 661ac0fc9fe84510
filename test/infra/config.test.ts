import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { EXAMPLE_CONFIG } from '../../lib/config/example-config';
import { CONFIG_CONTEXT, CONFIG_FILE_CONTEXT } from '../../lib/config/config-sources';
import { loadConfig, mergeConfig } from '../../lib/config/load-config';
import { ConfigError, checkRotationCron, validateConfig } from '../../lib/config/validate-config';
import { teamEnvironment } from '../support/team-config';

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
    [
      'a bad account id',
      { environments: { prod: { account: '1234' } } },
      /environment "prod": field "account" must be a 12-digit AWS account id \(got "1234"\)/,
    ],
    [
      'a region that is not one',
      { environments: { staging: { region: 'us-middle-9' } } },
      /environment "staging": field "region" must be an AWS region/,
    ],
    [
      'two environments with the same prefix',
      { environments: { staging: { secretPrefix: 'fleapo/prod' } } },
      /environment "prod": field "secretPrefix" \("fleapo\/prod"\) overlaps environment "staging"/,
    ],
    ['a prefix nested in another', { environments: { staging: { secretPrefix: 'fleapo/prod/staging' } } }, /overlaps environment/],
    [
      'an image without a tag or digest',
      { environments: { prod: { service: { image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/fleapo-web' } } } },
      /environment "prod".service: field "image" must be a container image with a tag or a digest/,
    ],
    [
      'an image with a registry port but no tag',
      { environments: { prod: { service: { image: 'registry.example.com:5000/fleapo-web' } } } },
      /field "image" must be a container image with a tag or a digest/,
    ],
    [
      'a missing field',
      { environments: { prod: { database: { host: null } } } },
      /environment "prod".database: field "host" must be a host name \(got nothing\)/,
    ],
    ['a missing section', { environments: { prod: { github: null } } }, /environment "prod": field "github" must be an object/],
    [
      'both a deploy environment and a branch',
      { environments: { prod: { github: { deployBranch: 'main' } } } },
      /environment "prod".github: give exactly one of "deployEnvironment" and "deployBranch"/,
    ],
    [
      'a master secret of another account',
      { environments: { prod: { database: { masterSecretArn: 'arn:aws:secretsmanager:us-east-1:999999999999:secret:rds-AbCdEf' } } } },
      /field "masterSecretArn" must be a secret of this environment's account/,
    ],
    [
      'a break-glass role of another account',
      { environments: { prod: { breakGlassRoleArn: 'arn:aws:iam::999999999999:role/break-glass' } } },
      /environment "prod": field "breakGlassRoleArn" must be a role of this environment's account/,
    ],
    [
      'a break-glass value that is not a role ARN',
      { environments: { prod: { breakGlassRoleArn: 'arn:aws:iam::111111111111:user/admin' } } },
      /environment "prod": field "breakGlassRoleArn" must be an IAM role ARN/,
    ],
    [
      'a subnet in another region',
      { environments: { prod: { network: { availabilityZones: ['eu-west-1a', 'us-east-1b', 'us-east-1c'] } } } },
      /availability zone "eu-west-1a" is not in region us-east-1/,
    ],
    [
      'a rotation cron at minute 5',
      { environments: { prod: { rotation: { authSecretSchedule: 'cron(5 4 ? * SUN *)' } } } },
      /environment "prod".rotation: field "authSecretSchedule" must be a Secrets Manager cron/,
    ],
    ['a Fargate CPU size that does not exist', { environments: { staging: { service: { cpu: 300 } } } }, /field "cpu" must be one of 256/],
    [
      'plaintext to the production database',
      { environments: { prod: { database: { ssl: 'disable' } } } },
      /environment "prod".database: field "ssl" must be "require" in the production environment "prod"/,
    ],
    [
      'plaintext to a database of an environment with live Stripe keys',
      { environments: { staging: { database: { ssl: 'disable' }, externalServices: { stripeMode: 'live' } } } },
      /environment "staging".database: field "ssl" must be "require" in the production environment "staging"/,
    ],
    [
      "two environments of one account and region in one cluster (a task of one would run on the other's network)",
      { environments: { staging: { service: { clusterName: 'fleapo-prod', serviceName: 'fleapo-web-staging' } } } },
      /environment "staging": cluster "fleapo-prod" is also environment "prod"'s in the same account and region/,
    ],
    [
      "two environments of one account and region in one VPC (a service of one could carry the other's security groups)",
      { environments: { staging: { network: { vpcId: 'vpc-0f1e2d3c4b5a69788' } } } },
      /environment "staging": VPC "vpc-0f1e2d3c4b5a69788" is also environment "prod"'s in the same account and region: IAM cannot keep/,
    ],
    [
      'a production image by tag (a tag can be moved to another image)',
      { environments: { prod: { service: { image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/fleapo-web:1.0.0' } } } },
      /environment "prod".service: field "image" must be pinned by digest \(REPO@sha256:\.\.\.\) in the production environment "prod"/,
    ],
    [
      'a PostHog host over plain HTTP',
      { environments: { prod: { externalServices: { posthogApiHost: 'http://us.i.posthog.com' } } } },
      /environment "prod".externalServices: field "posthogApiHost" must be an https:\/\/ origin/,
    ],
    [
      'a bad bootstrap qualifier',
      { accounts: { '111111111111': { cdkBootstrapQualifier: 'Not-Valid' } } },
      /accounts.111111111111: field "cdkBootstrapQualifier" must be a CDK bootstrap qualifier/,
    ],
    [
      'an environment without a bootstrap of its own',
      { environments: { prod: { cdkBootstrapQualifier: null } } },
      /environment "prod": field "cdkBootstrapQualifier" must be a CDK bootstrap qualifier/,
    ],
    [
      'two environments of one account sharing a bootstrap',
      { environments: { prod: { cdkBootstrapQualifier: 'fleapostg' } } },
      /environment "staging": field "cdkBootstrapQualifier" \("fleapostg"\) is also environment "prod"'s/,
    ],
    [
      "an environment on the administrator's bootstrap",
      { environments: { staging: { cdkBootstrapQualifier: 'hnb659fds' } } },
      /environment "staging": field "cdkBootstrapQualifier" \("hnb659fds"\) is account 111111111111's administrator qualifier/,
    ],
    [
      "an environment name that covers another's names",
      { environments: { 'prod-eu': EXAMPLE_CONFIG.environments.prod } },
      /environment "prod-eu": its name starts with environment "prod"'s name and a dash/,
    ],
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
    fs.writeFileSync(
      file,
      JSON.stringify({
        environments: { prod: teamEnvironment('prod', '222222222222') },
        accounts: { '222222222222': { importExistingOidcProvider: true } },
      }),
    );
    const app = new App({
      context: { [CONFIG_FILE_CONTEXT]: file, [CONFIG_CONTEXT]: JSON.stringify({ environments: { staging: null } }) },
    });
    const config = loadConfig(app.node);
    expect(config.environments.map((e) => `${e.name}@${e.account}`)).toEqual(['prod@222222222222']);
    expect(config.accounts).toEqual({ '222222222222': { importExistingOidcProvider: true, cdkBootstrapQualifier: 'hnb659fds' } });
  });

  test('names a config file it cannot read or parse', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-config-'));
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{ "environments": ');
    expect(() => loadConfig(new App({ context: { [CONFIG_FILE_CONTEXT]: broken } }).node)).toThrow(
      /configuration file ".*broken.json" is not valid JSON/,
    );
    expect(() => loadConfig(new App({ context: { [CONFIG_FILE_CONTEXT]: path.join(dir, 'missing.json') } }).node)).toThrow(
      /cannot read the configuration file ".*missing.json": ENOENT/,
    );
  });
});

describe('a typo in the configuration', () => {
  /** The problems of the example configuration with `override` merged in. */
  const problems = (override: unknown): string[] => {
    try {
      withOverride(override)();
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    throw new Error('expected a ConfigError');
  };

  test.each([
    ['a top-level field', { enviroments: {} }, 'the configuration: unknown field "enviroments" (did you mean "environments"?)'],
    [
      'an environment field',
      { environments: { prod: { acount: '222222222222' } } },
      'environment "prod": unknown field "acount" (did you mean "account"?)',
    ],
    [
      'a field of a section',
      { environments: { staging: { alerts: { email: ['ops@example.com'] } } } },
      'environment "staging".alerts: unknown field "email" (did you mean "emails"?)',
    ],
    [
      'a field with swapped letters',
      { environments: { prod: { database: { masterSecretRan: 'x' } } } },
      'environment "prod".database: unknown field "masterSecretRan" (did you mean "masterSecretArn"?)',
    ],
    [
      'a field in the wrong letter case',
      { environments: { prod: { network: { vpcID: 'vpc-0a1b2c3d' } } } },
      'environment "prod".network: unknown field "vpcID" (did you mean "vpcId"?)',
    ],
    [
      'an account setting',
      { accounts: { '111111111111': { importExistingOidcProviders: true } } },
      'accounts.111111111111: unknown field "importExistingOidcProviders" (did you mean "importExistingOidcProvider"?)',
    ],
  ])('refuses %s and names the field it likely meant', (_what, override, message) => {
    expect(problems(override)).toEqual([message]);
  });

  test('refuses an unknown field that is like no known one, without a suggestion', () => {
    expect(problems({ environments: { prod: { service: { replicas: 3 } } } })).toEqual([
      'environment "prod".service: unknown field "replicas"',
    ]);
  });

  test('refuses a mistyped environment name as one problem, naming the configured environment it likely meant', () => {
    expect(problems({ environments: { staginng: { account: '222222222222' } } })).toEqual([
      'environment "staginng" is not a configured environment (did you mean "staging"?); a new environment must give every field, and this one lacks ' +
        '"region", "secretPrefix", "network", "service", "database", "github", "rotation", "externalServices", "alerts", "cdkBootstrapQualifier", "terminationProtection"',
    ]);
  });

  test('still lists every missing field of a new environment whose name is like none configured', () => {
    const list = problems({ environments: { qa: { account: '222222222222' } } });
    expect(list).toContain('environment "qa": field "region" must be an AWS region such as us-east-1 (got nothing)');
    expect(list).toHaveLength(11);
  });

  test("refuses settings of an account one digit off an environment's account (they would be ignored)", () => {
    expect(
      problems({
        environments: {
          prod: {
            account: '222222222222',
            database: { masterSecretArn: 'arn:aws:secretsmanager:us-east-1:222222222222:secret:rds-AbCdEf' },
          },
        },
        accounts: { '222222222223': { importExistingOidcProvider: true } },
      }),
    ).toEqual([
      'accounts.222222222223: no environment is in account 222222222223, so its settings would be ignored (did you mean "222222222222"?)',
    ]);
  });

  test('refuses an account key that is not an account id, and a bad environment name', () => {
    expect(problems({ accounts: { '11111111111': {} }, environments: { Prod_EU: EXAMPLE_CONFIG.environments.prod } })).toEqual([
      'environment "Prod_EU": the name must be lower-case letters, digits and dashes (at most 20)',
      'accounts.11111111111: the key must be a 12-digit AWS account id',
    ]);
  });

  test('lists typos beside every other problem, at once', () => {
    expect(
      problems({ environments: { prod: { acount: '222222222222', region: 'nowhere', alerts: { emails: ['not-an-address'] } } } }),
    ).toEqual([
      'environment "prod": field "region" must be an AWS region such as us-east-1 (got "nowhere")',
      'environment "prod".alerts: field "emails[0]" must be e-mail addresses (got "not-an-address")',
      'environment "prod": unknown field "acount" (did you mean "account"?)',
    ]);
  });

  test('accepts "$schema" (the editor\'s line) and a config file that uses it', () => {
    expect(withOverride({ $schema: './fleapo-config.schema.json' })().environments).toHaveLength(2);
  });

  test('refuses a "__proto__" key instead of reading it as a prototype', () => {
    expect(problems(JSON.parse('{"environments": {"prod": {"__proto__": {"account": "222222222222"}}}}'))).toEqual([
      'environment "prod": unknown field "__proto__"',
    ]);
  });
});

describe('the app entry (bin/app.ts, what `cdk synth` runs)', () => {
  test('fails with exit code 1 and the configuration message, without a stack trace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-entry-'));
    const file = path.join(dir, 'fleapo.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ environments: { staging: null, prod: { ...teamEnvironment('prod'), region: 'mars-north-1' } } }),
    );
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, '..', '..', 'bin', 'app.ts')], {
      env: { ...process.env, FLEAPO_CONFIG_FILE: file, CDK_OUTDIR: path.join(dir, 'out') },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid fleapo configuration:');
    expect(result.stderr).toContain('environment "prod": field "region" must be an AWS region such as us-east-1 (got "mars-north-1")');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60000);

  test("fails on an unknown key in the team's file: exit code 1, the key and the suggestion, no stack trace", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-entry-'));
    const file = path.join(dir, 'fleapo.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ environments: { staging: null, prod: { ...teamEnvironment('prod'), acount: '222222222222' } } }),
    );
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, '..', '..', 'bin', 'app.ts')], {
      env: { ...process.env, FLEAPO_CONFIG_FILE: file, CDK_OUTDIR: path.join(dir, 'out') },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'Invalid fleapo configuration:\n  - environment "prod": unknown field "acount" (did you mean "account"?)',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(dir, 'out', 'Fleapo-prod.template.json'))).toBe(false);
  }, 60000);
});
