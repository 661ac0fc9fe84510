import { RegionInfo } from 'aws-cdk-lib/region-info';
import { isProductionEnvironment } from '../../lambda/config/env';
import type {
  AccountConfig,
  EnvironmentConfig,
  FleapoConfig,
} from './environment-config';

/** A configuration that cannot be synthesized. The message names every bad environment and field. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid fleapo configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The default CDK bootstrap qualifier. */
export const DEFAULT_CDK_QUALIFIER = 'hnb659fds';

const CDK_QUALIFIER = /^[a-z0-9]{1,10}$/;
const CDK_QUALIFIER_EXPECTED = 'a CDK bootstrap qualifier (lower-case letters and digits, at most 10)';
const KNOWN_REGIONS = new Set(RegionInfo.regions.map((r) => r.name));
const ACCOUNT = /^\d{12}$/;
const ARN_PARTITION = '(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc)';
const SECRET_ARN = new RegExp(`^arn:${ARN_PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@!-]+$`);
const KMS_KEY_ARN = new RegExp(`^arn:${ARN_PARTITION}:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+$`);
/** An image reference that pins a tag or a digest: `repo:tag`, `repo@sha256:...` (a port in the host is not a tag). */
const PINNED_IMAGE = /^[a-z0-9][a-z0-9.-]*(:\d+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;
const GITHUB_NAME = /^[A-Za-z0-9_.-]+$/;
const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,56}$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Secrets Manager `cron(0 H DoM Mon DoW *)`: minute 0, year `*`. */
const ROTATION_CRON = /^cron\(0 (\S+) (\S+) (\S+) (\S+) \*\)$/;
const WINDOW = /^([1-9]\d?)h$/;
const FARGATE_CPU = [256, 512, 1024, 2048, 4096, 8192, 16384];

type Json = Record<string, unknown>;

/** Reads one object of the raw configuration, recording a problem for every missing or malformed field. */
class FieldReader {
  constructor(
    private readonly raw: Json,
    private readonly where: string,
    private readonly problems: string[],
  ) {}

  child(field: string): FieldReader {
    const value = this.raw[field];
    if (!isObject(value)) {
      this.problems.push(`${this.where}: field "${field}" must be an object`);
      return new FieldReader({}, `${this.where}.${field}`, []);
    }
    return new FieldReader(value, `${this.where}.${field}`, this.problems);
  }

  string(field: string, pattern?: RegExp, expected?: string): string {
    const value = this.raw[field];
    if (typeof value !== 'string' || value.length === 0) {
      this.fail(field, expected ?? 'a non-empty string', value);
      return '';
    }
    if (pattern && !pattern.test(value)) this.fail(field, expected ?? `to match ${pattern}`, value);
    return value;
  }

  optionalString(field: string, pattern: RegExp, expected: string): string | undefined {
    return this.raw[field] === undefined ? undefined : this.string(field, pattern, expected);
  }

  integer(field: string, min: number, max: number): number {
    const value = this.raw[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `an integer from ${min} to ${max}`, value);
      return min;
    }
    return value;
  }

  boolean(field: string): boolean {
    const value = this.raw[field];
    if (typeof value !== 'boolean') this.fail(field, 'true or false', value);
    return value === true;
  }

  strings(field: string, pattern: RegExp, expected: string, minItems: number): string[] {
    const value = this.raw[field];
    if (!Array.isArray(value) || value.length < minItems) {
      this.fail(field, `a list of at least ${minItems} ${expected}`, value);
      return [];
    }
    value.forEach((item, i) => {
      if (typeof item !== 'string' || !pattern.test(item)) this.fail(`${field}[${i}]`, expected, item);
    });
    return value as string[];
  }

  problem(message: string): void {
    this.problems.push(`${this.where}: ${message}`);
  }

  private fail(field: string, expected: string, got: unknown): void {
    this.problems.push(`${this.where}: field "${field}" must be ${expected} (got ${describe(got)})`);
  }
}

/**
 * Validates the raw configuration (`{ environments: { NAME: {...} }, accounts: { ID: {...} } }`) and returns
 * it typed, or throws a `ConfigError` naming each environment and field that is missing or malformed.
 */
export function validateConfig(raw: unknown): FleapoConfig {
  const problems: string[] = [];
  if (!isObject(raw) || !isObject(raw.environments) || Object.keys(raw.environments).length === 0) {
    throw new ConfigError(['the configuration must have an "environments" object with at least one environment']);
  }
  const environments = Object.entries(raw.environments).map(([name, value]) =>
    readEnvironment(name, value, problems),
  );
  checkAcrossEnvironments(environments, problems);

  const rawAccounts = isObject(raw.accounts) ? raw.accounts : {};
  const accounts: Record<string, AccountConfig> = {};
  for (const account of new Set(environments.map((e) => e.account))) {
    accounts[account] = readAccount(account, rawAccounts[account], problems);
    for (const env of environments.filter((e) => e.account === account)) {
      if (env.cdkBootstrapQualifier === accounts[account].cdkBootstrapQualifier) {
        problems.push(`environment "${env.name}": field "cdkBootstrapQualifier" ("${env.cdkBootstrapQualifier}") is account ${account}'s administrator qualifier; each environment needs a bootstrap of its own`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { environments, accounts };
}

function readEnvironment(name: string, raw: unknown, problems: string[]): EnvironmentConfig {
  const where = `environment "${name}"`;
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(name)) {
    problems.push(`${where}: the name must be lower-case letters, digits and dashes (at most 20)`);
  }
  if (!isObject(raw)) {
    problems.push(`${where}: must be an object`);
    raw = {};
  }
  const env = new FieldReader(raw as Json, where, problems);
  const account = env.string('account', ACCOUNT, 'a 12-digit AWS account id');
  const region = env.string('region');
  const regionKnown = KNOWN_REGIONS.has(region);
  if (region && !regionKnown) {
    env.problem(`field "region" must be an AWS region such as us-east-1 (got ${describe(region)})`);
  }
  const secretPrefix = env.string('secretPrefix', /^[A-Za-z0-9_+=.@-]+(\/[A-Za-z0-9_+=.@-]+)*$/, 'a path such as fleapo/prod');

  const net = env.child('network');
  const network = {
    vpcId: net.string('vpcId', /^vpc-[0-9a-f]{8,17}$/, 'a VPC id (vpc-...)'),
    availabilityZones: net.strings('availabilityZones', /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'availability zone names', 1),
    privateSubnetIds: net.strings('privateSubnetIds', /^subnet-[0-9a-f]{8,17}$/, 'subnet ids (subnet-...)', 1),
    serviceSecurityGroupIds: net.strings('serviceSecurityGroupIds', /^sg-[0-9a-f]{8,17}$/, 'security group ids (sg-...)', 1),
    createInterfaceEndpoints: net.boolean('createInterfaceEndpoints'),
  };
  if (network.availabilityZones.length !== network.privateSubnetIds.length) {
    net.problem('"availabilityZones" and "privateSubnetIds" must have the same length (one zone a subnet)');
  }
  for (const az of network.availabilityZones) {
    if (regionKnown && !az.startsWith(region)) net.problem(`availability zone "${az}" is not in region ${region}`);
  }

  const svc = env.child('service');
  const service = {
    clusterName: svc.string('clusterName', /^[A-Za-z0-9_-]{1,255}$/, 'an ECS cluster name'),
    serviceName: svc.string('serviceName', /^[A-Za-z0-9_-]{1,255}$/, 'an ECS service name'),
    image: svc.string('image', PINNED_IMAGE, 'a container image with a tag or a digest (REPO:TAG or REPO@sha256:...)'),
    containerPort: svc.integer('containerPort', 1, 65535),
    cpu: svc.integer('cpu', 256, 16384),
    memoryMiB: svc.integer('memoryMiB', 512, 122880),
    desiredCount: svc.integer('desiredCount', 0, 1000),
  };
  if (!FARGATE_CPU.includes(service.cpu)) svc.problem(`field "cpu" must be one of ${FARGATE_CPU.join(', ')}`);

  const db = env.child('database');
  const database = {
    host: db.string('host', HOSTNAME, 'a host name'),
    port: db.integer('port', 1, 65535),
    databaseName: db.string('databaseName', /^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a PostgreSQL database name'),
    appUser: db.string('appUser', PG_IDENTIFIER, 'a lower-case PostgreSQL role name of at most 57 characters (the rotation adds "_clone")'),
    masterSecretArn: db.string('masterSecretArn', SECRET_ARN, 'a Secrets Manager secret ARN'),
    masterSecretKmsKeyArn: db.optionalString('masterSecretKmsKeyArn', KMS_KEY_ARN, 'a KMS key ARN'),
    securityGroupId: db.string('securityGroupId', /^sg-[0-9a-f]{8,17}$/, 'a security group id (sg-...)'),
    ssl: db.string('ssl', /^(require|disable)$/, '"require" or "disable"') as 'require' | 'disable',
  };
  if (SECRET_ARN.test(database.masterSecretArn) && ACCOUNT.test(account) && regionKnown && !database.masterSecretArn.includes(`:${region}:${account}:`)) {
    db.problem(`field "masterSecretArn" must be a secret of this environment's account ${account} and region ${region}`);
  }

  const ext = env.child('externalServices');
  const externalServices = {
    stripeMode: ext.string('stripeMode', /^(live|test)$/, '"live" or "test"') as 'live' | 'test',
    posthogApiHost: ext.string('posthogApiHost', /^https:\/\/[A-Za-z0-9.-]+(:\d+)?$/, 'an https:// origin such as https://us.i.posthog.com'),
  };

  // The master credentials travel only over verified TLS in production (an environment named prod or production,
  // or one that takes live Stripe keys); `disable` is for a database without TLS outside production.
  if (database.ssl === 'disable' && (isProductionEnvironment(name) || externalServices.stripeMode === 'live')) {
    db.problem(`field "ssl" must be "require" in the production environment "${name}": the master credentials go only over verified TLS (got "disable")`);
  }

  const gh = env.child('github');
  const github = {
    owner: gh.string('owner', GITHUB_NAME, 'a GitHub owner name'),
    repository: gh.string('repository', GITHUB_NAME, 'a GitHub repository name'),
    ownerId: gh.optionalString('ownerId', /^\d+$/, 'a numeric GitHub owner id'),
    repositoryId: gh.optionalString('repositoryId', /^\d+$/, 'a numeric GitHub repository id'),
    deployEnvironment: gh.optionalString('deployEnvironment', /^[A-Za-z0-9_.-]+$/, 'a GitHub environment name'),
    deployBranch: gh.optionalString('deployBranch', /^[A-Za-z0-9_./-]+$/, 'a branch name'),
  };
  if ((github.deployEnvironment === undefined) === (github.deployBranch === undefined)) {
    gh.problem('give exactly one of "deployEnvironment" and "deployBranch"');
  }
  if ((github.ownerId === undefined) !== (github.repositoryId === undefined)) {
    gh.problem('give both "ownerId" and "repositoryId", or neither');
  }

  const rot = env.child('rotation');
  const rotation = {
    authSecretSchedule: rot.string('authSecretSchedule'),
    authSecretWindow: rot.string('authSecretWindow', WINDOW, 'a window in hours such as "2h"'),
    databaseUrlRotationDays: rot.integer('databaseUrlRotationDays', 1, 1000),
  };
  const cronProblem = rotation.authSecretSchedule && checkRotationCron(rotation.authSecretSchedule);
  if (cronProblem) rot.problem(`field "authSecretSchedule" ${cronProblem}`);

  const alerts = { emails: env.child('alerts').strings('emails', EMAIL, 'e-mail addresses', 0) };

  return {
    name,
    account,
    region,
    secretPrefix,
    network,
    service,
    database,
    github,
    rotation,
    externalServices,
    alerts,
    cdkBootstrapQualifier: env.string('cdkBootstrapQualifier', CDK_QUALIFIER, CDK_QUALIFIER_EXPECTED),
    terminationProtection: env.boolean('terminationProtection'),
  };
}

/**
 * Checks a Secrets Manager rotation cron (`cron(0 H DoM Mon DoW *)`, UTC); returns what is wrong, or undefined.
 * Secrets Manager requires minute 0 and year `*`, and one of DoM and DoW to be `?`.
 */
export function checkRotationCron(expression: string): string | undefined {
  const m = ROTATION_CRON.exec(expression);
  if (!m) return `must be a Secrets Manager cron such as "cron(0 4 ? * SUN *)" (minute 0, year *), got ${describe(expression)}`;
  const [, hour, dayOfMonth, , dayOfWeek] = m;
  if (!/^(\d|1\d|2[0-3])$/.test(hour)) return `must start at a single hour from 0 to 23 (UTC), got "${hour}"`;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) return 'must have "?" in exactly one of day-of-month and day-of-week';
  return undefined;
}

function checkAcrossEnvironments(environments: EnvironmentConfig[], problems: string[]): void {
  const seen = new Map<string, string>();
  for (const env of environments) {
    const prefix = env.secretPrefix;
    for (const [other, otherPrefix] of seen) {
      if (prefix === otherPrefix || prefix.startsWith(`${otherPrefix}/`) || otherPrefix.startsWith(`${prefix}/`)) {
        problems.push(`environment "${env.name}": field "secretPrefix" ("${prefix}") overlaps environment "${other}" ("${otherPrefix}"); each environment needs a prefix of its own`);
      }
    }
    seen.set(env.name, prefix);
    for (const other of environments) {
      // Resource names are scoped by `fleapo-<env>-*` / `Fleapo-<env>-*`: "prod" would cover "prod-eu"'s.
      if (other !== env && other.account === env.account && env.name.startsWith(`${other.name}-`)) {
        problems.push(`environment "${env.name}": its name starts with environment "${other.name}"'s name and a dash, so names scoped to "${other.name}" would cover it; rename one`);
      }
      if (other !== env && other.name < env.name && other.account === env.account && other.region === env.region) {
        if (other.cdkBootstrapQualifier === env.cdkBootstrapQualifier) {
          problems.push(`environment "${env.name}": field "cdkBootstrapQualifier" ("${env.cdkBootstrapQualifier}") is also environment "${other.name}"'s; each environment needs a bootstrap of its own`);
        }
        if (other.service.clusterName === env.service.clusterName && other.service.serviceName === env.service.serviceName) {
          problems.push(`environment "${env.name}": service "${env.service.serviceName}" is also environment "${other.name}"'s service in the same cluster`);
        }
      }
    }
  }
}

function readAccount(account: string, raw: unknown, problems: string[]): AccountConfig {
  const reader = new FieldReader(isObject(raw) ? raw : {}, `accounts.${account}`, problems);
  const get = isObject(raw) ? raw : {};
  return {
    importExistingOidcProvider: get.importExistingOidcProvider === undefined ? false : reader.boolean('importExistingOidcProvider'),
    cdkBootstrapQualifier: get.cdkBootstrapQualifier === undefined
      ? DEFAULT_CDK_QUALIFIER
      : reader.string('cdkBootstrapQualifier', CDK_QUALIFIER, CDK_QUALIFIER_EXPECTED),
  };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
