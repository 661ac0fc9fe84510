import { SECRET_NAMES, secretPath, SECRETS, type SecretName, type SecretOrigin } from '../../catalog/secrets';
import type { EnvironmentConfig, ServiceConfig } from './environment-config';

/**
 * The one naming authority: every physical name an environment's stack, its CDK bootstrap and its account's GitHub
 * OIDC stack give a resource of the environment, and the wildcard patterns the environment's deploy policies grant
 * and deny on (lib/constructs/environment-deploy-policies.ts, `EnvironmentNames`), all derived here from the
 * environment's configuration. The constructs that create a resource take its name from here, never write it, so a
 * name and the pattern that covers it cannot drift apart (test/infra/resource-names.test.ts proves both directions).
 */

/** What an environment's names derive from (a part of its configuration). */
export type NamedEnvironment = Pick<EnvironmentConfig, 'name' | 'account' | 'region' | 'secretPrefix' | 'cdkBootstrapQualifier'> & {
  readonly service: Pick<ServiceConfig, 'clusterName' | 'serviceName'>;
};

/** The CDK bootstrap roles (`cdk-<qualifier>-<kind>-role-<account>-<region>`). */
export type CdkBootstrapRole = 'deploy' | 'file-publishing' | 'image-publishing' | 'lookup' | 'cfn-exec';

/** The two operator roles: `read` (status, CloudTrail lookups; no value) and `rotate` (stage, rotate, roll-current). */
export type OperatorRoleKind = 'read' | 'rotate';

/** The stack id (and CloudFormation stack name) of the environment named `environmentName`. */
export const environmentStackId = (environmentName: string): string => `Fleapo-${environmentName}`;
/** The stack id of an account's GitHub OIDC resources (not an environment's: it serves every environment of the account). */
export const githubOidcStackId = (account: string): string => `FleapoGithubOidc-${account}`;

/** The name of a CDK bootstrap role of `qualifier`. */
export function bootstrapRoleName(qualifier: string, kind: CdkBootstrapRole, account: string, region: string): string {
  return `cdk-${qualifier}-${kind}-role-${account}-${region}`;
}

/** The log group Lambda writes the function `functionName` into (a function's own log group is named so). */
export function lambdaLogGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/** The names of one environment's resources (see the module's comment). */
export class ResourceNames {
  /** The environment's name, e.g. `prod`. */
  readonly environmentName: string;

  constructor(private readonly env: NamedEnvironment) {
    this.environmentName = env.name;
  }

  /**
   * `fleapo-<env>-<what>`: the name of each of the environment's functions, roles, EventBridge rules, alarms, Contributor
   * Insights rules, its topic, its task family and its two deploy policies. One namespace: the patterns below are
   * `scoped('*')`, and the alarm rule's prefix is `scoped('')`.
   */
  scoped(what: string): string {
    return `fleapo-${this.env.name}-${what}`;
  }

  // Functions (each one's execution role carries the function's name, its log group is {@link lambdaLogGroupName}).

  /** The rotation function of `secret`, e.g. `fleapo-prod-auth-secret-rotation`. */
  rotationFunction(secret: SecretName): string {
    return this.scoped(`${SECRETS[secret].suffix}-rotation`);
  }
  /** The database role retirement function (`fleapo-secrets contain DATABASE_URL` invokes it). */
  get retirementFunction(): string {
    return this.scoped('database-role-retirement');
  }
  /** The revoke notice function (announces when an issuer's old key may be revoked). */
  get revokeNoticeFunction(): string {
    return this.scoped('stripe-revoke-notice');
  }
  /**
   * The stack's functions that read, stage, rotate or tag the environment's secrets: the rotation functions of the
   * generated secrets, the retirement, those of the issuer-created secrets, the revoke notice.
   */
  get secretFunctions(): string[] {
    const rotations = (origin: SecretOrigin) =>
      SECRET_NAMES.filter((name) => SECRETS[name].origin === origin).map((name) => this.rotationFunction(name));
    return [...rotations('generated'), this.retirementFunction, ...rotations('issuer-created'), this.revokeNoticeFunction];
  }

  // Roles.

  /** The ECS task execution role (injects the secrets at task start). */
  get ecsExecutionRole(): string {
    return this.scoped('ecs-execution');
  }
  /** The app's own AWS identity (reads no secret). */
  get ecsTaskRole(): string {
    return this.scoped('ecs-task');
  }
  /** `fleapo-<env>-operator-read` or `fleapo-<env>-operator-rotate`. */
  operatorRole(kind: OperatorRoleKind): string {
    return this.scoped(`operator-${kind}`);
  }

  // Alerts.

  /** The alert topic. */
  get alertTopic(): string {
    return this.scoped('secrets-alerts');
  }
  /** The alias of the alert topic's key. */
  get alertsKeyAlias(): string {
    return `alias/fleapo/${this.env.name}/alerts`;
  }

  // Secrets.

  /** `<secretPrefix>/<suffix>`: the secret's name in Secrets Manager. */
  secret(name: SecretName): string {
    return secretPath(this.env.secretPrefix, name);
  }
  /** The prefix of every secret's name (`fleapo/prod`). */
  get secretPrefix(): string {
    return this.env.secretPrefix;
  }
  /** The alias of the secrets' key. */
  get secretsKeyAlias(): string {
    return `alias/${this.env.secretPrefix}/secrets`;
  }

  // The service.

  /** The existing ECS cluster the service runs in (configured, not created). */
  get cluster(): string {
    return this.env.service.clusterName;
  }
  /** The ECS service the stack defines. */
  get service(): string {
    return this.env.service.serviceName;
  }
  /** The task definition family of the service. */
  get taskFamily(): string {
    return this.scoped(this.env.service.serviceName);
  }
  /** The app container's log group. */
  get serviceLogGroup(): string {
    return `/fleapo/${this.env.name}/${this.env.service.serviceName}`;
  }

  // The deploy chain.

  /** The environment's stack id (and CloudFormation stack name). */
  get stackId(): string {
    return environmentStackId(this.env.name);
  }
  /**
   * The environment's permissions boundary (customer-managed policy, defined by `FleapoGithubOidc-<account>`): bounds
   * every CDK bootstrap role of the environment's qualifier and every role its stack creates.
   */
  get boundaryPolicy(): string {
    return this.scoped('boundary');
  }
  /** The environment's CloudFormation execution policy (`cdk bootstrap --cloudformation-execution-policies`). */
  get executionPolicy(): string {
    return this.scoped('cfn-execution');
  }
  /** A CDK bootstrap role of the environment's qualifier. */
  bootstrapRole(kind: CdkBootstrapRole): string {
    return bootstrapRoleName(this.env.cdkBootstrapQualifier, kind, this.env.account, this.env.region);
  }
  /** The CDK bootstrap's assets bucket (the bootstrap's default name). */
  get assetsBucket(): string {
    return `cdk-${this.env.cdkBootstrapQualifier}-assets-${this.env.account}-${this.env.region}`;
  }
  /** The CDK bootstrap's container assets repository (the bootstrap's default name). */
  get assetsRepository(): string {
    return `cdk-${this.env.cdkBootstrapQualifier}-container-assets-${this.env.account}-${this.env.region}`;
  }
  /** The CDK bootstrap's version parameter. */
  get bootstrapVersionParameter(): string {
    return `/cdk-bootstrap/${this.env.cdkBootstrapQualifier}/version`;
  }

  /**
   * The wildcard patterns (names, not ARNs) that cover every name above: what the deploy policies grant this
   * environment and deny the others (`EnvironmentNames` turns them into ARNs).
   */
  get patterns(): NamePatterns {
    const scoped = this.scoped('*');
    return {
      scoped,
      secrets: `${this.env.secretPrefix}/*`,
      logGroups: [lambdaLogGroupName(scoped), `/fleapo/${this.env.name}/*`],
      keyAliases: [`alias/${this.env.secretPrefix}/*`, `alias/fleapo/${this.env.name}/*`],
      bootstrapRoles: `cdk-${this.env.cdkBootstrapQualifier}-*`,
    };
  }
}

/** The wildcard patterns of {@link ResourceNames.patterns}. */
export interface NamePatterns {
  /** `fleapo-<env>-*`: functions, roles, rules, topics, alarms, insight rules, task families and deploy policies. */
  readonly scoped: string;
  /** `<secretPrefix>/*`: the secrets (Secrets Manager appends a random suffix to the ARN). */
  readonly secrets: string;
  /** The functions' log groups (`/aws/lambda/fleapo-<env>-*`) and the service's (`/fleapo/<env>/*`). */
  readonly logGroups: readonly string[];
  /** The secrets' key alias (`alias/<secretPrefix>/*`) and the alert key's (`alias/fleapo/<env>/*`). */
  readonly keyAliases: readonly string[];
  /** The CDK bootstrap roles of the environment's qualifier (`cdk-<qualifier>-*`). */
  readonly bootstrapRoles: string;
}

/** The names of `env`'s resources. */
export function resourceNames(env: NamedEnvironment): ResourceNames {
  return new ResourceNames(env);
}
