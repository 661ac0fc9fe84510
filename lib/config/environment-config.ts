/**
 * The typed configuration of one fleapo environment (staging, prod).
 *
 * Every stack reads its environment only from here: no literals in stacks, no lookups at synth.
 * `validateEnvironments` turns raw JSON (defaults merged with the team's overrides) into this type
 * or fails with a `ConfigError` that names the environment and the field.
 */

/** The names of the five secrets every environment holds, as the app reads them. */
export const MANAGED_SECRETS = [
  'AUTH_SECRET',
  'DATABASE_URL',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'POSTHOG_API_KEY',
] as const;

/** One of the environment variable names the app container receives from Secrets Manager. */
export type ManagedSecretName = (typeof MANAGED_SECRETS)[number];

/** The secrets a person creates at their issuer (Stripe Dashboard, PostHog project): rotated on demand, not scheduled. */
export const EXTERNAL_SECRETS = ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'POSTHOG_API_KEY'] as const;

/** One of {@link EXTERNAL_SECRETS}. */
export type ExternalSecretName = (typeof EXTERNAL_SECRETS)[number];

/** The secret's name below the environment prefix: `fleapo/<env>/<suffix>`. */
export const SECRET_NAME_SUFFIX: Record<ManagedSecretName, string> = {
  AUTH_SECRET: 'auth-secret',
  DATABASE_URL: 'database-url',
  STRIPE_SECRET_KEY: 'stripe-secret-key',
  STRIPE_WEBHOOK_SECRET: 'stripe-webhook-secret',
  POSTHOG_API_KEY: 'posthog-api-key',
};

/** The existing network the service (and the rotation functions that reach the database) run in. */
export interface NetworkConfig {
  /** The existing VPC, e.g. `vpc-0123456789abcdef0`. */
  readonly vpcId: string;
  /** Availability zones of the subnets below, in the same order. */
  readonly availabilityZones: string[];
  /** Private subnets of the service and of the rotation functions that reach the database. */
  readonly privateSubnetIds: string[];
  /** Security groups the service's tasks run with (e.g. the one the load balancer admits). */
  readonly serviceSecurityGroupIds: string[];
  /**
   * How the functions that run in the VPC reach the Secrets Manager and ECS APIs. `false`: through what the
   * VPC already has (a NAT gateway, or interface endpoints with private DNS), so they may send HTTPS anywhere.
   * `true`: this app creates interface endpoints for both services in the private subnets, with private DNS **off**
   * (nothing else in the VPC, the app's tasks included, changes where it sends these APIs' requests), and the
   * functions may send HTTPS only to them, by their endpoint-specific DNS names. Works beside existing endpoints.
   */
  readonly createInterfaceEndpoints: boolean;
}

/** The existing ECS cluster and the service this app defines in it. */
export interface ServiceConfig {
  /** Name of the existing ECS cluster. */
  readonly clusterName: string;
  /** Name of the ECS service this app defines. */
  readonly serviceName: string;
  /** Container image with a tag or a digest, e.g. `111111111111.dkr.ecr.us-east-1.amazonaws.com/fleapo-web:1.4.2`. */
  readonly image: string;
  /** Port the app container listens on. */
  readonly containerPort: number;
  /** Fargate task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384). */
  readonly cpu: number;
  /** Fargate task memory in MiB. */
  readonly memoryMiB: number;
  /** Number of tasks. 0 until the external secrets have their first values (see README). */
  readonly desiredCount: number;
}

/** The PostgreSQL database (RDS) the app uses. */
export interface DatabaseConfig {
  readonly host: string;
  readonly port: number;
  readonly databaseName: string;
  /**
   * The application role. Rotation alternates between this role and `<appUser>_clone`,
   * as AWS's PostgreSQL multi-user rotation does.
   */
  readonly appUser: string;
  /** ARN of the RDS master-credentials secret (`{"username","password"}`), read only by the rotation functions. */
  readonly masterSecretArn: string;
  /** ARN of the KMS key that encrypts the master secret, when it is not the AWS managed `aws/secretsmanager` key. */
  readonly masterSecretKmsKeyArn?: string;
  /** The database's security group: it admits the rotation functions on `port` only. */
  readonly securityGroupId: string;
  /**
   * `require` (RDS: TLS with the certificate verified against `host`) or `disable` (a database without TLS, outside
   * production only: an environment named `prod`/`production` or with live Stripe keys refuses it).
   */
  readonly ssl: 'require' | 'disable';
}

/** Who may deploy this environment from GitHub Actions. */
export interface GithubConfig {
  readonly owner: string;
  readonly repository: string;
  /**
   * Numeric ids of owner and repository. Repositories created after 2026-07-15 get OIDC subjects of the
   * form `repo:OWNER@OWNER_ID/REPO@REPO_ID:...`: give both ids for such a repository.
   */
  readonly ownerId?: string;
  readonly repositoryId?: string;
  /** The GitHub environment whose jobs may deploy (subject `repo:ORG/REPO:environment:NAME`). Exclusive with `deployBranch`. */
  readonly deployEnvironment?: string;
  /** The branch whose jobs may deploy (subject `repo:ORG/REPO:ref:refs/heads/BRANCH`). Exclusive with `deployEnvironment`. */
  readonly deployBranch?: string;
}

/** When rotations run. */
export interface RotationConfig {
  /**
   * AUTH_SECRET rotation schedule: a Secrets Manager `cron(0 H DoM Mon DoW *)` in UTC. Rotation signs
   * every user out (runbook), so it belongs in a low-traffic window.
   */
  readonly authSecretSchedule: string;
  /** Rotation window after each scheduled start, e.g. `2h`. */
  readonly authSecretWindow: string;
  /** DATABASE_URL rotation: every this many days. */
  readonly databaseUrlRotationDays: number;
}

/** The issuers of the externally created secrets, which their rotation checks new values against. */
export interface ExternalServicesConfig {
  /** Which Stripe keys this environment takes: `live` (`sk_live_`, `rk_live_`) or `test` (`sk_test_`, `rk_test_`). */
  readonly stripeMode: 'live' | 'test';
  /** The PostHog API host the project token is checked against, e.g. `https://us.i.posthog.com`. */
  readonly posthogApiHost: string;
}

/** Who hears about failed rotations and blocked retirements. */
export interface AlertsConfig {
  /** E-mail addresses subscribed to the environment's alert topic (may be empty: subscribe by other means). */
  readonly emails: string[];
}

/** Everything that describes one environment. */
export interface EnvironmentConfig {
  /** `staging` or `prod`: the key of this environment in the configuration. */
  readonly name: string;
  /** 12-digit AWS account id. */
  readonly account: string;
  /** AWS region, e.g. `us-east-1`. */
  readonly region: string;
  /** Path prefix of the environment's secrets, e.g. `fleapo/prod`. */
  readonly secretPrefix: string;
  readonly network: NetworkConfig;
  readonly service: ServiceConfig;
  readonly database: DatabaseConfig;
  readonly github: GithubConfig;
  readonly rotation: RotationConfig;
  readonly externalServices: ExternalServicesConfig;
  readonly alerts: AlertsConfig;
  /**
   * CDK bootstrap qualifier of this environment's own bootstrap (`cdk bootstrap --qualifier`), e.g. `fleapostg`:
   * its deploy, publishing, lookup and CloudFormation execution roles serve this environment alone, bounded by
   * the environment's policies (README, "Bootstrap order"). Unique among the environments of an account and
   * region, and not the account's own qualifier.
   */
  readonly cdkBootstrapQualifier: string;
  /** Protect the environment's stack against deletion (prod). */
  readonly terminationProtection: boolean;
}

/** Settings of one AWS account, shared by every environment it hosts. */
export interface AccountConfig {
  /** Import the account's existing GitHub OIDC provider instead of creating it (one provider per account). */
  readonly importExistingOidcProvider: boolean;
  /**
   * CDK bootstrap qualifier of the account's administrator bootstrap, which deploys only the account's
   * `FleapoGithubOidc-<account>` stack, by hand (`cdk bootstrap --qualifier`). @default hnb659fds
   */
  readonly cdkBootstrapQualifier: string;
}

/** The whole configuration: environments by name, and per-account settings. */
export interface FleapoConfig {
  readonly environments: EnvironmentConfig[];
  /** Per-account settings by account id; an account without an entry gets the defaults. */
  readonly accounts: Record<string, AccountConfig>;
}
