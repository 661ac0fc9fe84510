import { Aspects, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { assertNever } from '../../catalog/assert-never';
import { isExternalSecretName, REVOKE_NOTICE_SECRET_NAMES, SECRET_NAMES, SECRETS, type SecretName } from '../../catalog/secrets';
import {
  CONTAIN_TAG_KEYS,
  ROLLOUT_TAG_KEYS,
  ROTATION_TAG_KEYS,
  TAG_DATABASE_ROLE,
  TAG_REKEYED_VERSION,
  TAG_RETIRED_DEPLOYMENT,
  TAG_REVOKE_NOTICE_VERSION,
} from '../../catalog/tags';
import type { EnvironmentConfig } from '../config/environment-config';
import { resourceNames } from '../config/resource-names';
import { AppService } from '../constructs/app-service';
import { AuthSecretRotation } from '../constructs/auth-secret-rotation';
import { DatabaseUrlRotation } from '../constructs/database-url-rotation';
import { EnvironmentSecrets } from '../constructs/environment-secrets';
import { ExternalSecretRotation } from '../constructs/external-secret-rotation';
import { OperatorRoles } from '../constructs/operator-roles';
import { RotationAlerts } from '../constructs/rotation-alerts';
import { SecretAccessPolicies, type SecretAccess } from '../constructs/secret-access-policies';
import type { SecretFunction } from '../constructs/secret-function';
import { StripeRevokeNotice } from '../constructs/stripe-revoke-notice';
import { UnexpectedReaderAlarm } from '../constructs/unexpected-reader-alarm';
import { expectedSecretPrincipals } from '../config/secret-principals';

/** Props of {@link EnvironmentStack}. */
export interface EnvironmentStackProps extends StackProps {
  /** The environment this stack deploys. */
  readonly environment: EnvironmentConfig;
}

/**
 * Everything of one environment (`Fleapo-<env>`): its KMS key and five secrets, the ECS task definition
 * that injects them and the service that runs it, the scheduled AUTH_SECRET and DATABASE_URL rotations, the
 * on-demand rotations of the Stripe and PostHog secrets, and the alert topic that hears of every rotation that fails.
 */
export class EnvironmentStack extends Stack {
  public readonly secrets: EnvironmentSecrets;
  public readonly app: AppService;
  public readonly alerts: RotationAlerts;
  /** Each secret's rotation function, built from the secret's playbook (catalog/secrets.ts). */
  public readonly rotationFunctions: Record<SecretName, SecretFunction>;
  /** DATABASE_URL's rotation, with the database role retirement. */
  public readonly databaseUrlRotation: DatabaseUrlRotation;
  public readonly stripeRevokeNotice: StripeRevokeNotice;
  /** The operator roles, when `environments.<env>.operators` trusts someone. */
  public readonly operators?: OperatorRoles;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id, props);
    const env = props.environment;
    const names = resourceNames(env);
    // Every role of this stack carries the environment's boundary: the execution policy creates no role without it.
    iam.PermissionsBoundary.of(this).apply(iam.ManagedPolicy.fromManagedPolicyName(this, 'Boundary', names.boundaryPolicy));
    // A secret's resource policy only with Secrets Manager's block of broad (public) access: the environment's deploy
    // policies refuse secretsmanager:PutResourcePolicy without it.
    Aspects.of(this).add({
      visit: (node) => {
        if (node instanceof secretsmanager.CfnResourcePolicy) node.blockPublicPolicy = true;
      },
    });

    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: env.network.vpcId,
      availabilityZones: env.network.availabilityZones,
      privateSubnetIds: env.network.privateSubnetIds,
    });

    Validations.of(vpc).acknowledge({
      id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      reason: 'The subnets are only placement for the service and the rotation functions; nothing here reads their route tables.',
    });

    this.secrets = new EnvironmentSecrets(this, 'Secrets', {
      names,
      database: env.database,
    });
    this.app = new AppService(this, 'App', {
      names,
      service: env.service,
      vpc,
      securityGroupIds: env.network.serviceSecurityGroupIds,
      secrets: this.secrets,
    });

    this.alerts = new RotationAlerts(this, 'Alerts', {
      names,
      emails: env.alerts.emails,
      serviceArn: this.app.serviceArn,
    });

    // Each secret's rotation, from its playbook. (The construct ids are those each rotation has always had: a new id
    // would replace its function, which keeps its name.)
    const rotations: Partial<Record<SecretName, SecretFunction>> = {};
    let databaseUrlRotation: DatabaseUrlRotation | undefined;
    for (const name of SECRET_NAMES) {
      const secret = this.secrets.secrets[name];
      const playbook = SECRETS[name].playbook;
      switch (playbook) {
        case 'auth-secret':
          rotations[name] = new AuthSecretRotation(this, 'AuthSecretRotation', {
            names,
            schedule: { scheduleExpression: env.rotation.authSecretSchedule, window: env.rotation.authSecretWindow },
            secret,
            service: this.app,
          }).function;
          break;
        case 'database-url':
          databaseUrlRotation = new DatabaseUrlRotation(this, 'DatabaseUrlRotation', {
            names,
            database: env.database,
            rotationDays: env.rotation.databaseUrlRotationDays,
            secret,
            vpc,
            createInterfaceEndpoints: env.network.createInterfaceEndpoints,
            service: this.app,
          });
          rotations[name] = databaseUrlRotation.rotationFunction;
          break;
        case 'external-secret':
          if (!isExternalSecretName(name)) throw new Error(`${name}: the external-secret playbook rotates issuer-created secrets only`);
          rotations[name] = new ExternalSecretRotation(this, `${name}Rotation`, {
            names,
            externalServices: env.externalServices,
            name,
            secret,
            service: this.app,
          }).function;
          break;
        default:
          assertNever(playbook);
      }
    }
    if (!databaseUrlRotation) throw new Error('the catalog has no secret of the database-url playbook (the role retirement is its)');
    this.databaseUrlRotation = databaseUrlRotation;
    this.rotationFunctions = rotations as Record<SecretName, SecretFunction>;

    new UnexpectedReaderAlarm(this, 'UnexpectedReader', {
      names,
      expectedRoleArns: expectedSecretPrincipals(env).map((p) => p.arn),
      alerts: this.alerts,
    });
    this.stripeRevokeNotice = new StripeRevokeNotice(this, 'StripeRevokeNotice', {
      names,
      secrets: Object.fromEntries(REVOKE_NOTICE_SECRET_NAMES.map((name) => [name, this.secrets.secrets[name]])),
      service: this.app,
      alerts: this.alerts,
    });

    if (env.operators) {
      this.operators = new OperatorRoles(this, 'Operators', {
        names,
        trustedPrincipalArns: env.operators.trustedPrincipalArns,
        secrets: this.secrets,
        service: this.app,
        rotationFunctions: Object.fromEntries(SECRET_NAMES.map((name) => [name, this.rotationFunctions[name].function])) as Record<
          SecretName,
          SecretFunction['function']
        >,
        retirementFunction: this.databaseUrlRotation.retirementFunction.function,
      });
    }
    new SecretAccessPolicies(this, 'SecretAccess', {
      secrets: this.secrets,
      access: Object.fromEntries(SECRET_NAMES.map((name) => [name, this.accessOf(name, this.rotationFunctions[name])])) as Record<
        SecretName,
        SecretAccess
      >,
      deployerRoleArn: `arn:${this.partition}:iam::${env.account}:role/${names.bootstrapRole('cfn-exec')}`,
      breakGlassRoleArn: env.breakGlassRoleArn,
    });
  }

  /**
   * Who may read, write, re-label and tag `name` (docs/who-can-change-a-secret.md): the ECS execution role reads
   * every secret; the secret's rotation function reads, writes and keeps its rotation records; the database role
   * retirement reads DATABASE_URL and records its retirement; the revoke notice records its notice on the Stripe
   * secrets; the operator (operator-rotate) moves or removes only AWSPENDING and writes the rollout record and the
   * containment record on every secret, and stages values of the issuer-created secrets only. The pending marker
   * stays the rotation function's alone, so nothing the operator labels AWSPENDING is ever set or promoted.
   */
  private accessOf(name: SecretName, rotation: SecretFunction): SecretAccess {
    const fn = rotation.role.roleArn;
    const operator = this.operators?.rotateRole.roleArn;
    const stager = isExternalSecretName(name) ? operator : undefined;
    const retirement = name === 'DATABASE_URL' ? this.databaseUrlRotation.retirementFunction.role.roleArn : undefined;
    const tags: Record<string, string[]> = Object.fromEntries(ROTATION_TAG_KEYS.map((key) => [key, [fn]]));
    if (operator) for (const key of ROLLOUT_TAG_KEYS) tags[key].push(operator);
    if (operator) for (const key of CONTAIN_TAG_KEYS) tags[key] = [operator];
    if (name === 'AUTH_SECRET') tags[TAG_REKEYED_VERSION] = [fn];
    if (name === 'DATABASE_URL') tags[TAG_DATABASE_ROLE] = [fn];
    if (retirement) tags[TAG_RETIRED_DEPLOYMENT] = [retirement];
    if (REVOKE_NOTICE_SECRET_NAMES.includes(name)) tags[TAG_REVOKE_NOTICE_VERSION] = [this.stripeRevokeNotice.function.role.roleArn];
    return {
      read: [this.app.executionRole.roleArn, fn, ...(retirement ? [retirement] : [])],
      write: [fn, ...(stager ? [stager] : [])],
      pendingLabelOnly: operator ? [operator] : [],
      tags,
      rotationFunctionArn: rotation.function.functionArn,
    };
  }
}
