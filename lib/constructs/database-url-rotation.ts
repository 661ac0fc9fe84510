import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DatabaseConfig } from '../config/environment-config';
import { ROTATION_TAG_KEYS, TAG_DATABASE_ROLE } from '../../catalog/tags';
import type { AppService } from './app-service';
import { allowApiAccess, databaseFunctionEnvironment, grantMasterSecretRead, type DatabaseFunctionsProps } from './database-functions';
import { DatabaseRoleRetirement } from './database-role-retirement';
import { grantSecretTagging } from './environment-secrets';
import { SecretFunction } from './secret-function';
import type { ResourceNames } from '../config/resource-names';

export { RETIREMENT_BLOCKED_ALARM_AFTER, RETIREMENT_RETRY_INTERVAL } from './database-role-retirement';

/** Props of {@link DatabaseUrlRotation}. */
export interface DatabaseUrlRotationProps {
  /** The environment's names (its name is what the handlers check their events against). */
  readonly names: ResourceNames;
  /** The database: host, port, name, app role, master secret, and its security group (which admits the functions). */
  readonly database: DatabaseConfig;
  /** Days between rotations (`rate(N days)`); the first rotation runs when the schedule is created. */
  readonly rotationDays: number;
  /** The environment's DATABASE_URL (`<secretPrefix>/database-url`). */
  readonly secret: secretsmanager.Secret;
  /** The database's VPC; the functions run in its private subnets. */
  readonly vpc: ec2.IVpc;
  /**
   * Create Secrets Manager and ECS interface endpoints (private DNS off) for the functions, instead of reaching the
   * APIs through what the VPC already has.
   * @default false
   */
  readonly createInterfaceEndpoints?: boolean;
  /** The service rolled after each rotation, whose completed deployment lets the old role retire. */
  readonly service: AppService;
}

/**
 * The runbook's DATABASE_URL playbook as a scheduled rotation with alternating roles (`<appUser>` and
 * `<appUser>_clone`):
 * 1. setSecret creates or re-enables the other role with a new password, using the RDS master secret;
 * 2. finishSecret makes the new URL current; 3. it rolls the service;
 * 4. the {@link DatabaseRoleRetirement} disables the old role's login once the rollout completed and its sessions ended.
 *
 * Both functions run in the database's subnets with a security group of their own, which the database's
 * security group admits on the database port only; they reach the APIs as {@link allowApiAccess} says.
 */
export class DatabaseUrlRotation extends Construct {
  public readonly rotationFunction: SecretFunction;
  public readonly retirement: DatabaseRoleRetirement;
  public readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DatabaseUrlRotationProps) {
    super(scope, id);
    const names = props.names;
    const env = names.environmentName;
    const db = props.database;
    const secret = props.secret;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `fleapo ${env} DATABASE_URL rotation and retirement functions`,
      allowAllOutbound: false,
    });
    const databaseSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'DatabaseSecurityGroup', db.securityGroupId, {
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(databaseSecurityGroup, ec2.Port.tcp(db.port), 'PostgreSQL');
    const apiEndpoints = allowApiAccess(this, {
      environmentName: env,
      vpc: props.vpc,
      securityGroup: this.securityGroup,
      createInterfaceEndpoints: props.createInterfaceEndpoints ?? false,
    });
    databaseSecurityGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(db.port), `fleapo ${env} DATABASE_URL rotation`);

    const functions: DatabaseFunctionsProps = {
      names,
      database: db,
      service: props.service,
      placement: { vpc: props.vpc, subnets: props.vpc.privateSubnets, securityGroup: this.securityGroup },
      apiEndpoints,
    };
    this.rotationFunction = new SecretFunction(this, 'Rotation', {
      handler: 'database-url-rotation',
      functionName: names.rotationFunction('DATABASE_URL'),
      description: `Rotates ${names.secret('DATABASE_URL')} (alternating roles) and rolls the ${env} service`,
      environment: databaseFunctionEnvironment(functions),
      vpc: functions.placement,
      names,
      service: props.service,
      use: {
        kind: 'rotation',
        secret,
        timing: {
          scheduleExpression: `rate(${props.rotationDays} days)`,
          // The first rotation turns the generated bootstrap credentials into the URL: it runs on creation.
          rotateImmediatelyOnUpdate: true,
        },
      },
      tagKeys: ROTATION_TAG_KEYS,
      rollsService: true,
      readsRollout: false,
    });
    // The role the AWSCURRENT URL logs in as (a name, never a credential), shown by `fleapo-secrets status`.
    grantSecretTagging([secret], this.rotationFunction, [TAG_DATABASE_ROLE]);
    grantMasterSecretRead(db, this.rotationFunction, this);

    // 'Default': the retirement's resources keep the logical ids they had before it was a construct of its own.
    this.retirement = new DatabaseRoleRetirement(this, 'Default', { ...functions, secret });
  }

  /** The retirement function. */
  public get retirementFunction(): SecretFunction {
    return this.retirement.function;
  }

  /** The retirement's alarms (they reach the alert topic by name). */
  public get alarms(): cloudwatch.Alarm[] {
    return this.retirement.alarms;
  }
}
