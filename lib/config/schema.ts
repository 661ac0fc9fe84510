/**
 * The configuration's one schema: the TypeScript types of `environment-config.ts` are inferred from it, synth and the
 * `fleapo-secrets` command validate with it (`validateConfig`), and `npm run config:schema` emits it as the JSON
 * Schema an editor uses to complete and check the team's configuration file (`json-schema.ts`).
 *
 * Each field's description documents it for users (it is the hover text in the editor). A field's error text
 * completes "field "X" must be ..."; checks across fields run only when the fields they read are valid on their
 * own, so each problem is reported once (`crossCheck`).
 */
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { z } from 'zod';
import { isProductionEnvironment } from '../../catalog/env-vars';
import { closest } from './suggest';

/** The default CDK bootstrap qualifier. */
export const DEFAULT_CDK_QUALIFIER = 'hnb659fds';

const ACCOUNT = /^\d{12}$/;
const ARN_PARTITION = '(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc)';
const SECRET_ARN = new RegExp(`^arn:${ARN_PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@!-]+$`);
const IAM_ROLE_ARN = new RegExp(`^arn:${ARN_PARTITION}:iam::\\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`);
/** An IAM role (any path, e.g. IAM Identity Center's `aws-reserved/sso.amazonaws.com/...`) or user: no wildcard. */
const IAM_OPERATOR_PRINCIPAL_ARN = new RegExp(`^arn:${ARN_PARTITION}:iam::\\d{12}:(role|user)/[A-Za-z0-9+=,.@_/-]{1,512}$`);
const KMS_KEY_ARN = new RegExp(`^arn:${ARN_PARTITION}:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+$`);
/** An image reference that pins a tag or a digest: `repo:tag`, `repo@sha256:...` (a port in the host is not a tag). */
const PINNED_IMAGE = /^[a-z0-9][a-z0-9.-]*(:\d+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;
const GITHUB_NAME = /^[A-Za-z0-9_.-]+$/;
const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,56}$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CDK_QUALIFIER = /^[a-z0-9]{1,10}$/;
const CDK_QUALIFIER_EXPECTED = 'a CDK bootstrap qualifier (lower-case letters and digits, at most 10)';
const KNOWN_REGIONS = new Set(RegionInfo.regions.map((r) => r.name));
/** Secrets Manager `cron(0 H DoM Mon DoW *)`: minute 0, year `*`. */
const ROTATION_CRON = /^cron\(0 (\S+) (\S+) (\S+) (\S+) \*\)$/;
const FARGATE_CPU = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;
const environmentName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,19}$/, { error: 'the name must be lower-case letters, digits and dashes (at most 20)' });
const accountId = z.string().regex(ACCOUNT, { error: 'the key must be a 12-digit AWS account id' });

/** Marks an issue whose message is a whole sentence (a check across fields), not the end of "must be ...". */
export const WHOLE_MESSAGE = { whole: true } as const;

// ---------------------------------------------------------------------------------------------------------------
// Field kinds: each error text completes "field "X" must be ...".

/** A non-empty string, matching `pattern` when given. */
function text(expected: string, pattern?: RegExp) {
  const error = { error: expected, abort: true };
  return pattern ? z.string(error).regex(pattern, error) : z.string(error).min(1, error);
}

/** An integer from `min` to `max`. */
function integer(min: number, max: number) {
  const error = { error: `an integer from ${min} to ${max}`, abort: true };
  return z.number(error).int(error).min(min, error).max(max, error);
}

function flag() {
  return z.boolean({ error: 'true or false' });
}

/** A list of at least `minItems` strings, each `expected` (matching `pattern`). */
function list(pattern: RegExp, expected: string, minItems: number) {
  const error = { error: `a list of at least ${minItems} ${expected}` };
  const items = z.array(text(expected, pattern), error);
  return minItems > 0 ? items.min(minItems, error) : items;
}

/** A section of the configuration: an object whose every key is known (an unknown one is a typo). */
function section<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape, { error: 'an object' });
}

/** Records a problem (a whole sentence) at `path` below the checked object (default: the object itself). */
type Report = (message: string, path?: PropertyKey[]) => void;
/** Whether the field at `path` (below the checked object) passed its own checks. */
type Valid = (path: PropertyKey[]) => boolean;

/**
 * A check across fields of an object, run only when the object is one and every field it `reads` (dotted paths
 * relative to the object) passed its own checks: a bad field is reported once, not again by each check that reads it.
 * A check that reads fields of several environments asks `valid` itself.
 */
function crossCheck<T>(reads: readonly string[], check: (value: T, report: Report, valid: Valid) => void) {
  const report =
    (ctx: z.core.$RefinementCtx<T>): Report =>
    (message, path = []) =>
      ctx.addIssue({ code: 'custom', message, path, input: undefined, params: WHOLE_MESSAGE });
  return z.superRefine<T>((value, ctx) => check(value, report(ctx), (path) => !hasFieldProblem(ctx.issues, path)), {
    when: (payload) => isObject(payload.value) && !reads.some((read) => hasFieldProblem(payload.issues, read.split('.'))),
  });
}

/** Whether an issue of a field (not a check across fields) concerns `path`, something inside it or an object around it. */
function hasFieldProblem(issues: readonly z.core.$ZodRawIssue[], path: readonly PropertyKey[]): boolean {
  return issues.some((issue) => {
    if (issue.code === 'custom' && (issue.params as typeof WHOLE_MESSAGE | undefined)?.whole) return false;
    const at = issue.path ?? [];
    const common = Math.min(at.length, path.length);
    return at.slice(0, common).every((key, i) => key === path[i]);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Sections of an environment.

/** What the environment's checks across sections read (the inferred types cannot be named inside the schema). */
type SubnetsOf = { availabilityZones: string[]; privateSubnetIds: string[] };
type ZonesOf = { region: string; network: { availabilityZones: string[] } };
type MasterSecretOf = { account: string; region: string; database: { masterSecretArn: string } };

export const networkSchema = section({
  vpcId: text('a VPC id (vpc-...)', /^vpc-[0-9a-f]{8,17}$/).describe('The existing VPC, e.g. `vpc-0123456789abcdef0`.'),
  availabilityZones: list(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'availability zone names', 1).describe(
    "Availability zones of the subnets below, in the same order (all in the environment's region).",
  ),
  privateSubnetIds: list(/^subnet-[0-9a-f]{8,17}$/, 'subnet ids (subnet-...)', 1).describe(
    'Private subnets of the service and of the rotation functions that reach the database.',
  ),
  serviceSecurityGroupIds: list(/^sg-[0-9a-f]{8,17}$/, 'security group ids (sg-...)', 1).describe(
    "Security groups the service's tasks run with (e.g. the one the load balancer admits).",
  ),
  createInterfaceEndpoints: flag().describe(
    'How the functions that run in the VPC reach the Secrets Manager and ECS APIs. `false`: through what the VPC already ' +
      'has (a NAT gateway, or interface endpoints with private DNS), so they may send HTTPS anywhere. `true`: this app ' +
      'creates interface endpoints for both services in the private subnets, with private DNS off (nothing else in the ' +
      "VPC, the app's tasks included, changes where it sends these APIs' requests), and the functions may send HTTPS " +
      'only to them, by their endpoint-specific DNS names. Works beside existing endpoints.',
  ),
})
  .check(
    crossCheck<SubnetsOf>(['availabilityZones', 'privateSubnetIds'], (network, report) => {
      if (network.availabilityZones.length !== network.privateSubnetIds.length) {
        report('"availabilityZones" and "privateSubnetIds" must have the same length (one zone a subnet)');
      }
    }),
  )
  .describe('The existing network the service (and the rotation functions that reach the database) run in.');

export const serviceSchema = section({
  clusterName: text('an ECS cluster name', /^[A-Za-z0-9_-]{1,255}$/).describe('Name of the existing ECS cluster.'),
  serviceName: text('an ECS service name', /^[A-Za-z0-9_-]{1,255}$/).describe('Name of the ECS service this app defines.'),
  image: text('a container image with a tag or a digest (REPO:TAG or REPO@sha256:...)', PINNED_IMAGE).describe(
    'Container image with a tag or a digest, e.g. `111111111111.dkr.ecr.us-east-1.amazonaws.com/fleapo-web:1.4.2`. ' +
      'A production environment (named `prod`/`production`, or with live Stripe keys) takes a digest only (`REPO@sha256:...`).',
  ),
  containerPort: integer(1, 65535).describe('Port the app container listens on.'),
  cpu: z
    .literal(FARGATE_CPU, { error: `one of ${FARGATE_CPU.join(', ')}` })
    .describe(`Fargate task CPU units (${FARGATE_CPU.join(', ')}).`),
  memoryMiB: integer(512, 122880).describe('Fargate task memory in MiB.'),
  desiredCount: integer(0, 1000).describe(
    'Number of tasks. 0 until the external secrets have their first values (docs/bootstrap-and-first-deploy.md, "Bootstrap order").',
  ),
}).describe('The existing ECS cluster and the service this app defines in it.');

export const databaseSchema = section({
  host: text('a host name', HOSTNAME).describe('Host name of the PostgreSQL database (RDS); TLS certificates are verified against it.'),
  port: integer(1, 65535).describe('Port of the database.'),
  databaseName: text('a PostgreSQL database name', /^[A-Za-z_][A-Za-z0-9_]{0,62}$/).describe("Name of the app's database."),
  appUser: text('a lower-case PostgreSQL role name of at most 57 characters (the rotation adds "_clone")', PG_IDENTIFIER).describe(
    'The application role. Rotation alternates between this role and `<appUser>_clone`, ' + "as AWS's PostgreSQL multi-user rotation does.",
  ),
  masterSecretArn: text('a Secrets Manager secret ARN', SECRET_ARN).describe(
    'ARN of the RDS master-credentials secret (`{"username","password"}`) of this environment\'s account and region, ' +
      'read only by the rotation functions.',
  ),
  masterSecretKmsKeyArn: text('a KMS key ARN', KMS_KEY_ARN)
    .optional()
    .describe('ARN of the KMS key that encrypts the master secret, when it is not the AWS managed `aws/secretsmanager` key.'),
  securityGroupId: text('a security group id (sg-...)', /^sg-[0-9a-f]{8,17}$/).describe(
    "The database's security group: it admits the rotation functions on `port` only.",
  ),
  ssl: z
    .enum(['require', 'disable'], { error: '"require" or "disable"' })
    .describe(
      '`require` (RDS: TLS with the certificate verified against `host`) or `disable` (a database without TLS, outside ' +
        'production only: an environment named `prod`/`production` or with live Stripe keys refuses it).',
    ),
}).describe('The PostgreSQL database (RDS) the app uses.');

export const githubSchema = section({
  owner: text('a GitHub owner name', GITHUB_NAME).describe('GitHub owner (organization or user) of the repository that deploys.'),
  repository: text('a GitHub repository name', GITHUB_NAME).describe('GitHub repository that deploys.'),
  ownerId: text('a numeric GitHub owner id', /^\d+$/)
    .optional()
    .describe(
      'Numeric id of the owner. Repositories created after 2026-07-15 get OIDC subjects of the form ' +
        '`repo:OWNER@OWNER_ID/REPO@REPO_ID:...`: give both ids for such a repository.',
    ),
  repositoryId: text('a numeric GitHub repository id', /^\d+$/).optional().describe('Numeric id of the repository (with `ownerId`).'),
  deployEnvironment: text('a GitHub environment name', /^[A-Za-z0-9_.-]+$/)
    .optional()
    .describe('The GitHub environment whose jobs may deploy (subject `repo:ORG/REPO:environment:NAME`). Exclusive with `deployBranch`.'),
  deployBranch: text('a branch name', /^[A-Za-z0-9_./-]+$/)
    .optional()
    .describe('The branch whose jobs may deploy (subject `repo:ORG/REPO:ref:refs/heads/BRANCH`). Exclusive with `deployEnvironment`.'),
  deployWorkflow: text('a workflow file such as .github/workflows/deploy.yml', /^\.github\/workflows\/[A-Za-z0-9_.-]+\.ya?ml$/)
    .default('.github/workflows/deploy.yml')
    .describe(
      'The workflow file whose jobs may deploy: the deploy role also requires the token claim `job_workflow_ref` to be ' +
        '`OWNER/REPO/<this file>@refs/heads/main` (`@refs/heads/<deployBranch>` with `deployBranch`), so a job of another ' +
        'workflow, or of this one run from another branch, cannot deploy even in the GitHub environment.',
    ),
})
  .check(
    crossCheck<Record<string, unknown>>([], (github, report) => {
      if ((github.deployEnvironment === undefined) === (github.deployBranch === undefined)) {
        report('give exactly one of "deployEnvironment" and "deployBranch"');
      }
      if ((github.ownerId === undefined) !== (github.repositoryId === undefined)) {
        report('give both "ownerId" and "repositoryId", or neither');
      }
    }),
  )
  .describe('Who may deploy this environment from GitHub Actions.');

export const rotationSchema = section({
  authSecretSchedule: text('a non-empty string').describe(
    'AUTH_SECRET rotation schedule: a Secrets Manager `cron(0 H DoM Mon DoW *)` in UTC (minute 0, year `*`, `?` in ' +
      'exactly one of day-of-month and day-of-week), e.g. `cron(0 4 ? * SUN *)`.',
  ),
  authSecretWindow: text('a window in hours such as "2h"', /^([1-9]\d?)h$/).describe(
    'Rotation window after each scheduled start, e.g. `2h`.',
  ),
  databaseUrlRotationDays: integer(1, 1000).describe('DATABASE_URL rotation: every this many days.'),
})
  .check(
    crossCheck<{ authSecretSchedule: string }>(['authSecretSchedule'], (rotation, report) => {
      const problem = checkRotationCron(rotation.authSecretSchedule);
      if (problem) report(`field "authSecretSchedule" ${problem}`);
    }),
  )
  .describe('When rotations run.');

export const externalServicesSchema = section({
  stripeMode: z
    .enum(['live', 'test'], { error: '"live" or "test"' })
    .describe('Which Stripe keys this environment takes: `live` (`sk_live_`, `rk_live_`) or `test` (`sk_test_`, `rk_test_`).'),
  posthogApiHost: text('an https:// origin such as https://us.i.posthog.com', /^https:\/\/[A-Za-z0-9.-]+(:\d+)?$/).describe(
    'The PostHog API host the project token is checked against, e.g. `https://us.i.posthog.com`.',
  ),
}).describe('The issuers of the externally created secrets, which their rotation checks new values against.');

export const alertsSchema = section({
  emails: list(EMAIL, 'e-mail addresses', 0).describe(
    "E-mail addresses subscribed to the environment's alert topic (may be empty: subscribe by other means).",
  ),
}).describe('Who hears about failed rotations and blocked retirements.');

export const operatorsSchema = section({
  trustedPrincipalArns: list(
    IAM_OPERATOR_PRINCIPAL_ARN,
    'IAM role or user ARNs without wildcards (arn:aws:iam::ACCOUNT:role/NAME, arn:aws:iam::ACCOUNT:user/NAME)',
    1,
  ).describe(
    "Who may assume the environment's operator roles `fleapo-<env>-operator-read` and `fleapo-<env>-operator-rotate`: " +
      "exact role ARNs (with their path: an IAM Identity Center permission set's role is " +
      '`arn:aws:iam::ACCOUNT:role/aws-reserved/sso.amazonaws.com/[REGION/]AWSReservedSSO_NAME_ID`) or IAM user ARNs. ' +
      'An IAM user must have signed in with MFA (`aws:MultiFactorAuthPresent`); a role session carries no MFA ' +
      "information, so require MFA where the role is assumed (IAM Identity Center's MFA settings). " +
      'docs/who-can-change-a-secret.md.',
  ),
}).describe(
  "The people who operate the environment's secrets with `fleapo-secrets`. Unset: the operator roles are not created " +
    '(nobody but the deploy chain, the app and the break-glass role touches the secrets).',
);

/** One environment (without its name, which is its key under `environments`). */
export const environmentSchema = section({
  account: text('a 12-digit AWS account id', ACCOUNT).describe('12-digit AWS account id.'),
  region: text('an AWS region such as us-east-1', /^[a-z]{2}(-[a-z]+)+-\d$/)
    .refine((region) => KNOWN_REGIONS.has(region), { error: 'an AWS region such as us-east-1' })
    .describe('AWS region, e.g. `us-east-1`.'),
  secretPrefix: text('a path such as fleapo/prod', /^[A-Za-z0-9_+=.@-]+(\/[A-Za-z0-9_+=.@-]+)*$/).describe(
    "Path prefix of the environment's secrets, e.g. `fleapo/prod`; no environment's prefix may contain another's.",
  ),
  network: networkSchema,
  service: serviceSchema,
  database: databaseSchema,
  github: githubSchema,
  rotation: rotationSchema,
  externalServices: externalServicesSchema,
  alerts: alertsSchema,
  cdkBootstrapQualifier: text(CDK_QUALIFIER_EXPECTED, CDK_QUALIFIER).describe(
    "CDK bootstrap qualifier of this environment's own bootstrap (`cdk bootstrap --qualifier`), e.g. `fleapostg`: its " +
      'deploy, publishing, lookup and CloudFormation execution roles serve this environment alone, bounded by the ' +
      'environment\'s policies (docs/bootstrap-and-first-deploy.md, "Bootstrap order"). Unique among the environments of an account and region, ' +
      "and not the account's own qualifier.",
  ),
  terminationProtection: flag().describe("Protect the environment's stack against deletion (prod)."),
  breakGlassRoleArn: text('an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)', IAM_ROLE_ARN)
    .optional()
    .describe(
      "An existing IAM role of this environment's account for emergencies: besides the environment's own functions, " +
        "execution role and deploy chain, the only principal that may read and write the environment's secret values " +
        'and assume its bootstrap roles. Every use is recorded by CloudTrail. Unset: no principal outside the app may.',
    ),
  operators: operatorsSchema.optional(),
})
  .check(
    crossCheck<ZonesOf>(['region', 'network.availabilityZones'], (env, report) => {
      for (const az of env.network.availabilityZones) {
        if (!az.startsWith(env.region)) report(`availability zone "${az}" is not in region ${env.region}`, ['network']);
      }
    }),
  )
  .check(
    crossCheck<MasterSecretOf>(['account', 'region', 'database.masterSecretArn'], (env, report) => {
      if (!env.database.masterSecretArn.includes(`:${env.region}:${env.account}:`)) {
        const expected = `a secret of this environment's account ${env.account} and region ${env.region}`;
        report(`field "masterSecretArn" must be ${expected}`, ['database']);
      }
    }),
  )
  .check(
    crossCheck<{ account: string; breakGlassRoleArn?: string }>(['account', 'breakGlassRoleArn'], (env, report) => {
      if (env.breakGlassRoleArn !== undefined && !env.breakGlassRoleArn.includes(`::${env.account}:role/`)) {
        report(`field "breakGlassRoleArn" must be a role of this environment's account ${env.account}`);
      }
    }),
  )
  .describe('Everything that describes one environment.');

/** Settings of one AWS account, shared by every environment it hosts. */
export const accountSchema = section({
  importExistingOidcProvider: flag()
    .default(false)
    .describe("Import the account's existing GitHub OIDC provider instead of creating it (one provider per account)."),
  cdkBootstrapQualifier: text(CDK_QUALIFIER_EXPECTED, CDK_QUALIFIER)
    .default(DEFAULT_CDK_QUALIFIER)
    .describe(
      "CDK bootstrap qualifier of the account's administrator bootstrap, which deploys only the account's " +
        "`FleapoGithubOidc-<account>` stack, by hand (`cdk bootstrap --qualifier`). Never an environment's qualifier.",
    ),
}).describe('Settings of one AWS account, shared by every environment it hosts.');

// ---------------------------------------------------------------------------------------------------------------
// The whole configuration.

type RawEnvironment = z.output<typeof environmentSchema>;
type RawAccount = z.output<typeof accountSchema>;

// The types every stack reads (re-exported by `environment-config.ts`), inferred from the sections above.
/** The existing network the service (and the rotation functions that reach the database) run in. */
export type NetworkConfig = Readonly<z.output<typeof networkSchema>>;
/** The existing ECS cluster and the service this app defines in it. */
export type ServiceConfig = Readonly<z.output<typeof serviceSchema>>;
/** The PostgreSQL database (RDS) the app uses. */
export type DatabaseConfig = Readonly<z.output<typeof databaseSchema>>;
/** Who may deploy this environment from GitHub Actions. */
export type GithubConfig = Readonly<z.output<typeof githubSchema>>;
/** When rotations run. */
export type RotationConfig = Readonly<z.output<typeof rotationSchema>>;
/** The issuers of the externally created secrets, which their rotation checks new values against. */
export type ExternalServicesConfig = Readonly<z.output<typeof externalServicesSchema>>;
/** Who may assume the environment's operator roles. */
export type OperatorsConfig = Readonly<z.output<typeof operatorsSchema>>;
/** Who hears about failed rotations and blocked retirements. */
export type AlertsConfig = Readonly<z.output<typeof alertsSchema>>;
/** Everything that describes one environment. */
export type EnvironmentConfig = Readonly<
  RawEnvironment & {
    /** `staging` or `prod`: the key of this environment in the configuration. */
    name: string;
  }
>;
/** Settings of one AWS account, shared by every environment it hosts. */
export type AccountConfig = Readonly<RawAccount>;
/** The whole configuration: environments in their order, and the settings of each account they use. */
export type FleapoConfig = z.output<typeof configSchema>;

/** The configuration as written (defaults merged with the team's file), before it becomes `FleapoConfig`. */
export const configObjectSchema = section({
  $schema: z
    .string({ error: 'a string' })
    .optional()
    .describe(
      'The JSON Schema of this file (`fleapo-config.schema.json` of the fleapo-secrets repository), for editors; ' + 'ignored by the app.',
    ),
  environments: z
    .record(environmentName, environmentSchema, { error: 'an object with at least one environment' })
    .describe("The environments by name (e.g. `staging`, `prod`). A name must not start with another environment's name and a dash."),
  accounts: z
    .record(accountId, accountSchema, { error: 'an object' })
    .optional()
    .describe('Per-account settings by account id; an account without an entry gets the defaults.'),
})
  .check(
    crossCheck<{ environments: unknown; accounts?: unknown }>([], (config, report, valid) => {
      if (!isObject(config.environments)) return;
      const environments = Object.entries(config.environments).filter((entry): entry is [string, RawEnvironment] => isObject(entry[1]));
      if (Object.keys(config.environments).length === 0) {
        report('the configuration must have an "environments" object with at least one environment');
      }
      const validEnv = (name: string, ...fields: string[]) => fields.every((field) => valid(['environments', name, ...field.split('.')]));
      checkEachEnvironment(environments, validEnv, report);
      checkAcrossEnvironments(environments, validEnv, report);
      const accounts = isObject(config.accounts) ? (config.accounts as Record<string, RawAccount>) : {};
      const validAccount = (account: string) => valid(['accounts', account, 'cdkBootstrapQualifier']);
      checkAdministratorQualifiers(environments, accounts, validEnv, validAccount, report);
      checkAccountsUsed(environments, accounts, validEnv, report);
    }),
  )
  .describe('The fleapo secrets configuration.');

/**
 * The configuration: the raw object validated and turned into environments in their order (each with its name)
 * and the settings of each account an environment uses (defaults filled in).
 */
export const configSchema = configObjectSchema.transform((config) => ({
  environments: Object.entries(config.environments).map(([name, env]): EnvironmentConfig => ({ name, ...env })),
  accounts: Object.fromEntries(
    [...new Set(Object.values(config.environments).map((env) => env.account))].map((account): [string, AccountConfig] => [
      account,
      config.accounts?.[account] ?? accountSchema.parse({}),
    ]),
  ),
}));

function checkEachEnvironment(
  environments: [string, RawEnvironment][],
  valid: (name: string, ...fields: string[]) => boolean,
  report: Report,
): void {
  for (const [name, env] of environments) {
    // Production runs an image by digest: a tag can be pushed again (by the same pipeline that pushes staging's) and
    // ECS would then start whatever it points to at the next deployment or task replacement.
    if (
      valid(name, 'service.image', 'externalServices.stripeMode') &&
      !env.service.image.includes('@sha256:') &&
      (isProductionEnvironment(name) || env.externalServices.stripeMode === 'live')
    ) {
      report(
        `field "image" must be pinned by digest (REPO@sha256:...) in the production environment "${name}": ` +
          'a tag can be moved to another image (got a tag)',
        ['environments', name, 'service'],
      );
    }
    // The master credentials travel only over verified TLS in production (an environment named prod or production,
    // or one that takes live Stripe keys); `disable` is for a database without TLS outside production.
    if (
      valid(name, 'database.ssl', 'externalServices.stripeMode') &&
      env.database.ssl === 'disable' &&
      (isProductionEnvironment(name) || env.externalServices.stripeMode === 'live')
    ) {
      report(
        `field "ssl" must be "require" in the production environment "${name}": ` +
          'the master credentials go only over verified TLS (got "disable")',
        ['environments', name, 'database'],
      );
    }
  }
}

function checkAcrossEnvironments(
  environments: [string, RawEnvironment][],
  valid: (name: string, ...fields: string[]) => boolean,
  report: Report,
): void {
  const seen = new Map<string, string>();
  for (const [name, env] of environments) {
    const at = ['environments', name];
    if (valid(name, 'secretPrefix')) {
      const prefix = env.secretPrefix;
      for (const [other, otherPrefix] of seen) {
        if (prefix === otherPrefix || prefix.startsWith(`${otherPrefix}/`) || otherPrefix.startsWith(`${prefix}/`)) {
          const problem = `field "secretPrefix" ("${prefix}") overlaps environment "${other}" ("${otherPrefix}")`;
          report(`${problem}; each environment needs a prefix of its own`, at);
        }
      }
      seen.set(name, prefix);
    }
    for (const [otherName, other] of environments) {
      if (otherName === name || !valid(name, 'account') || !valid(otherName, 'account') || other.account !== env.account) continue;
      // Resource names are scoped by `fleapo-<env>-*` / `Fleapo-<env>-*`: "prod" would cover "prod-eu"'s.
      if (name.startsWith(`${otherName}-`)) {
        const problem = `its name starts with environment "${otherName}"'s name and a dash`;
        report(`${problem}, so names scoped to "${otherName}" would cover it; rename one`, at);
      }
      if (otherName < name && valid(name, 'region') && valid(otherName, 'region') && other.region === env.region) {
        if (
          valid(name, 'cdkBootstrapQualifier') &&
          valid(otherName, 'cdkBootstrapQualifier') &&
          other.cdkBootstrapQualifier === env.cdkBootstrapQualifier
        ) {
          const problem = `field "cdkBootstrapQualifier" ("${env.cdkBootstrapQualifier}") is also environment "${otherName}"'s`;
          report(`${problem}; each environment needs a bootstrap of its own`, at);
        }
        // The deploy policies confine services to the environment's own cluster (ecs:cluster) and subnets (ecs:subnet): a
        // task in the other environment's cluster or subnets would be inside its network.
        if (
          valid(name, 'service.clusterName') &&
          valid(otherName, 'service.clusterName') &&
          other.service.clusterName === env.service.clusterName
        ) {
          report(
            `cluster "${env.service.clusterName}" is also environment "${otherName}"'s in the same account and region; ` +
              'each environment needs a cluster of its own',
            at,
          );
        }
        // No IAM condition key names the security groups of an ECS service (CreateService / UpdateService take ecs:subnet
        // only), and ECS attaches them with its service-linked role: in a shared VPC a service of this environment, in its
        // own subnets, could carry the other's security groups (those its database admits). Groups never cross VPCs.
        if (valid(name, 'network.vpcId') && valid(otherName, 'network.vpcId') && other.network.vpcId === env.network.vpcId) {
          report(
            `VPC "${env.network.vpcId}" is also environment "${otherName}"'s in the same account and region: IAM cannot keep one ` +
              "environment's ECS service off the other's security groups within a VPC; each environment needs a VPC of its own " +
              '(or an account of its own)',
            at,
          );
        }
      }
    }
  }
}

function checkAdministratorQualifiers(
  environments: [string, RawEnvironment][],
  accounts: Record<string, RawAccount>,
  valid: (name: string, ...fields: string[]) => boolean,
  validAccount: (account: string) => boolean,
  report: Report,
): void {
  for (const [name, env] of environments) {
    if (!valid(name, 'account', 'cdkBootstrapQualifier') || !validAccount(env.account)) continue;
    const account = accounts[env.account];
    const administrator = account?.cdkBootstrapQualifier ?? DEFAULT_CDK_QUALIFIER;
    if (env.cdkBootstrapQualifier === administrator) {
      const problem = `field "cdkBootstrapQualifier" ("${env.cdkBootstrapQualifier}") is account ${env.account}'s administrator qualifier`;
      report(`${problem}; each environment needs a bootstrap of its own`, ['environments', name]);
    }
  }
}

/**
 * An account's settings whose id is one or two digits from an environment's account, and that no environment uses,
 * are a typo: they would be ignored (the environment's account would get the defaults).
 */
function checkAccountsUsed(
  environments: [string, RawEnvironment][],
  accounts: Record<string, RawAccount>,
  valid: (name: string, ...fields: string[]) => boolean,
  report: Report,
): void {
  const used = new Set(environments.filter(([name]) => valid(name, 'account')).map(([, env]) => env.account));
  for (const account of Object.keys(accounts)) {
    const suggestion = used.has(account) ? undefined : closest(account, used, 2);
    if (suggestion) {
      const problem = `no environment is in account ${account}, so its settings would be ignored`;
      report(`${problem} (did you mean "${suggestion}"?)`, ['accounts', account]);
    }
  }
}

/**
 * Checks a Secrets Manager rotation cron (`cron(0 H DoM Mon DoW *)`, UTC); returns what is wrong, or undefined.
 * Secrets Manager requires minute 0 and year `*`, and one of DoM and DoW to be `?`.
 */
export function checkRotationCron(expression: string): string | undefined {
  const m = ROTATION_CRON.exec(expression);
  if (!m) return `must be a Secrets Manager cron such as "cron(0 4 ? * SUN *)" (minute 0, year *), got ${JSON.stringify(expression)}`;
  const [, hour, dayOfMonth, , dayOfWeek] = m;
  if (!/^(\d|1\d|2[0-3])$/.test(hour)) return `must start at a single hour from 0 to 23 (UTC), got "${hour}"`;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) return 'must have "?" in exactly one of day-of-month and day-of-week';
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
