import { Duration, Fn, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { AppService } from './app-service';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-config';
import {
  ENV_AWS_ENDPOINT_URL_ECS,
  ENV_AWS_ENDPOINT_URL_SECRETS_MANAGER,
  ENV_DB_APP_USER,
  ENV_DB_HOST,
  ENV_DB_NAME,
  ENV_DB_PORT,
  ENV_DB_SSL,
  ENV_ECS_CLUSTER,
  ENV_ECS_SERVICE,
  ENV_FLEAPO_ENVIRONMENT,
  ENV_MASTER_SECRET_ARN,
  ENV_POWERTOOLS_SERVICE_NAME,
  ENV_SECRET_ARN,
} from '../../catalog/env-vars';
import { METRIC_NAMESPACE, METRIC_RETIREMENT_BLOCKED, METRIC_RETIREMENT_REFUSED, METRIC_RETIREMENT_STALLED } from '../../catalog/metrics';
import type { EnvironmentSecrets } from './environment-secrets';
import { alertAlarmName, alertRuleName } from './rotation-alerts';
import { RotationFunction } from './rotation-function';
import { scheduleRotation } from './rotation-schedule';
import { TAG_DATABASE_ROLE, TAG_RETIRED_DEPLOYMENT } from '../../catalog/tags';

/** Props of {@link DatabaseUrlRotation}. */
export interface DatabaseUrlRotationProps {
  readonly environment: EnvironmentConfig;
  /** The environment's secrets: DATABASE_URL is rotated, its key decrypts it. */
  readonly secrets: EnvironmentSecrets;
  /** The database's VPC. */
  readonly vpc: ec2.IVpc;
  /** The service rolled after each rotation, whose completed deployment lets the old role retire. */
  readonly service: AppService;
}

/** How often the retirement retries while an old role still has sessions. */
export const RETIREMENT_RETRY_INTERVAL = Duration.minutes(15);
/** A retirement blocked this long (old sessions remain) raises the alarm. */
export const RETIREMENT_BLOCKED_ALARM_AFTER = Duration.hours(1);

/**
 * The runbook's DATABASE_URL playbook as a scheduled rotation with alternating roles (`<appUser>` and
 * `<appUser>_clone`), steps 1 to 4:
 * 1. setSecret creates or re-enables the other role with a new password, using the RDS master secret;
 * 2. finishSecret makes the new URL current; 3. it rolls the service;
 * 4. once ECS shows the new value rolled out everywhere (a deployment created since the switch completed, and no
 *    task of the task family from before it runs, standalone tasks included), the retirement function checks
 *    pg_stat_activity (new role connected, old role idle) and disables the old role's login; while old tasks or
 *    sessions remain it retries every 15 minutes and alarms after an hour; a failed or rolled-back rollout alarms at
 *    once, and a current value that nothing rolls out alarms after two ticks (RetirementStalled).
 *
 * Both functions run in the database's subnets with a security group of their own, which the database's
 * security group admits on the database port only.
 */
export class DatabaseUrlRotation extends Construct {
  public readonly rotationFunction: RotationFunction;
  public readonly retirementFunction: RotationFunction;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: DatabaseUrlRotationProps) {
    super(scope, id);
    const env = props.environment;
    const db = env.database;
    const secret = props.secrets.secrets.DATABASE_URL;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `fleapo ${env.name} DATABASE_URL rotation and retirement functions`,
      allowAllOutbound: false,
    });
    const databaseSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'DatabaseSecurityGroup', db.securityGroupId, {
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(databaseSecurityGroup, ec2.Port.tcp(db.port), 'PostgreSQL');
    const apiEndpoints = this.allowApiAccess(env, props.vpc);
    databaseSecurityGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(db.port), `fleapo ${env.name} DATABASE_URL rotation`);

    const placement = { vpc: props.vpc, subnets: props.vpc.privateSubnets, securityGroup: this.securityGroup };
    const common = {
      [ENV_ECS_CLUSTER]: props.service.cluster.clusterArn,
      [ENV_ECS_SERVICE]: props.service.serviceArn,
      [ENV_MASTER_SECRET_ARN]: db.masterSecretArn,
      [ENV_DB_SSL]: db.ssl,
      // The functions trust these, never the secret's host, port, database or role.
      [ENV_DB_HOST]: db.host,
      [ENV_DB_PORT]: String(db.port),
      [ENV_DB_NAME]: db.databaseName,
      [ENV_DB_APP_USER]: db.appUser,
      ...apiEndpoints,
      [ENV_FLEAPO_ENVIRONMENT]: env.name,
      // Node.js 20+ Lambda runtimes load the RDS certificate authorities only when asked to.
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
    };

    this.rotationFunction = new RotationFunction(this, 'Rotation', {
      handler: 'database-url-rotation',
      functionName: `fleapo-${env.name}-database-url-rotation`,
      description: `Rotates fleapo/${env.name}/database-url (alternating roles) and rolls the ${env.name} service`,
      environment: { ...common, [ENV_POWERTOOLS_SERVICE_NAME]: `fleapo-${env.name}-database-url-rotation` },
      vpc: placement,
    });
    scheduleRotation(secret, this.rotationFunction, {
      scheduleExpression: `rate(${env.rotation.databaseUrlRotationDays} days)`,
      // The first rotation turns the generated bootstrap credentials into the URL: it runs on creation.
      rotateImmediatelyOnUpdate: true,
    });
    this.rotationFunction.grantRollout(secret, props.service);
    // The role the AWSCURRENT URL logs in as (a name, never a credential), shown by `fleapo-secrets status`.
    this.rotationFunction.grantTags(secret, [TAG_DATABASE_ROLE]);
    this.grantMasterSecret(this.rotationFunction.function, env);

    this.retirementFunction = new RotationFunction(this, 'Retirement', {
      handler: 'database-role-retirement',
      functionName: `fleapo-${env.name}-database-role-retirement`,
      description: `Retires the previous fleapo ${env.name} database role once the rollout completed`,
      environment: {
        ...common,
        [ENV_SECRET_ARN]: secret.secretArn,
        [ENV_POWERTOOLS_SERVICE_NAME]: `fleapo-${env.name}-database-role-retirement`,
      },
      vpc: placement,
    });
    const retirement = this.retirementFunction.function;
    // Reads (never stages) DATABASE_URL, writes only the retirement's record, reads the service's deployments.
    this.retirementFunction.grantRead(secret);
    this.retirementFunction.grantTags(secret, [TAG_RETIRED_DEPLOYMENT]);
    props.service.grantRolloutReads(this.retirementFunction.role);
    this.grantMasterSecret(retirement, env);

    const retire = new targets.LambdaFunction(retirement, { retryAttempts: 4, maxEventAge: Duration.hours(2) });
    new events.Rule(this, 'OnDeployment', {
      ruleName: alertRuleName(env, 'database-role-retirement-on-deployment'),
      description: `Deployments of the ${env.name} service: retire the previous database role when the rotation's rollout completed`,
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        resources: [props.service.serviceArn],
      },
      targets: [retire],
    });
    new events.Rule(this, 'RetryRetirement', {
      ruleName: alertRuleName(env, 'database-role-retirement-retry'),
      description: `Retries a ${env.name} database role retirement still waiting for old sessions to end`,
      schedule: events.Schedule.rate(RETIREMENT_RETRY_INTERVAL),
      targets: [retire],
    });

    const metric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { Environment: env.name },
        statistic: 'Sum',
        period: RETIREMENT_RETRY_INTERVAL,
      });
    this.alarms = [
      new cloudwatch.Alarm(this, 'RetirementBlocked', {
        alarmName: alertAlarmName(env, 'database-role-retirement-blocked'),
        alarmDescription: `The previous ${env.name} database role still has sessions (or the new one none) an hour after the rollout: it stays valid. See README, "When an alarm fires".`,
        metric: metric(METRIC_RETIREMENT_BLOCKED),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: RETIREMENT_BLOCKED_ALARM_AFTER.toMinutes() / RETIREMENT_RETRY_INTERVAL.toMinutes(),
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'RetirementRefused', {
        alarmName: alertAlarmName(env, 'database-role-retirement-refused'),
        alarmDescription: `The ${env.name} rollout after a DATABASE_URL rotation failed or rolled back: no role was retired. See README, "When an alarm fires".`,
        metric: metric(METRIC_RETIREMENT_REFUSED),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'RetirementStalled', {
        alarmName: alertAlarmName(env, 'database-role-retirement-stalled'),
        alarmDescription: `Nothing rolls the current ${env.name} DATABASE_URL out (its rotation could not roll ECS or record the rollout): the previous role stays valid. See README, "When an alarm fires".`,
        metric: metric(METRIC_RETIREMENT_STALLED),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // Two ticks in a row: a single datapoint can be the instant between the stage move and the rollout record.
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'RetirementErrors', {
        alarmName: alertAlarmName(env, 'database-role-retirement-errors'),
        alarmDescription: `The ${env.name} database role retirement function keeps failing (database or API unreachable). See README, "When an alarm fires".`,
        metric: retirement.metricErrors({ period: RETIREMENT_RETRY_INTERVAL, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: RETIREMENT_BLOCKED_ALARM_AFTER.toMinutes() / RETIREMENT_RETRY_INTERVAL.toMinutes(),
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
  }

  /**
   * The functions call the Secrets Manager and ECS APIs: through interface endpoints this app creates (and nowhere
   * else), or through what the VPC already has (NAT or endpoints), on HTTPS.
   *
   * The endpoints this app creates have **private DNS off**: private DNS would make every workload of the VPC (the
   * app's own tasks, whose ECS agent fetches `secrets` at start, and anything else) resolve these APIs to endpoints
   * whose security group admits only the functions, and cut them off. Only the functions use the endpoints, by
   * their endpoint-specific DNS names, through the SDK's `AWS_ENDPOINT_URL_*` variables (returned here).
   */
  private allowApiAccess(env: EnvironmentConfig, vpc: ec2.IVpc): Record<string, string> {
    if (!env.network.createInterfaceEndpoints) {
      this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Secrets Manager and ECS APIs (through the VPC NAT or endpoints)');
      return {};
    }
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: `fleapo ${env.name} Secrets Manager and ECS interface endpoints (database functions only, no private DNS)`,
      allowAllOutbound: false,
    });
    const variables: Record<string, string> = {};
    for (const [id, service, variable] of [
      ['SecretsManagerEndpoint', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, ENV_AWS_ENDPOINT_URL_SECRETS_MANAGER],
      ['EcsEndpoint', ec2.InterfaceVpcEndpointAwsService.ECS, ENV_AWS_ENDPOINT_URL_ECS],
    ] as const) {
      const endpoint = new ec2.InterfaceVpcEndpoint(this, id, {
        vpc,
        service,
        subnets: { subnets: vpc.privateSubnets },
        securityGroups: [endpointSecurityGroup],
        privateDnsEnabled: false,
        open: false,
      });
      // DnsEntries: "<hosted zone id>:<DNS name>", the regional (endpoint-specific) name first.
      variables[variable] = `https://${Fn.select(1, Fn.split(':', Fn.select(0, endpoint.vpcEndpointDnsEntries)))}`;
    }
    endpointSecurityGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(443), 'HTTPS from the rotation functions');
    this.securityGroup.addEgressRule(endpointSecurityGroup, ec2.Port.tcp(443), 'Secrets Manager and ECS interface endpoints');
    return variables;
  }

  /** Allows `fn` to read the RDS master secret, and to decrypt it when a customer-managed key encrypts it. */
  private grantMasterSecret(fn: lambda.IFunction, env: EnvironmentConfig): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [env.database.masterSecretArn] }));
    if (env.database.masterSecretKmsKeyArn) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [env.database.masterSecretKmsKeyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com`,
              'kms:EncryptionContext:SecretARN': env.database.masterSecretArn,
            },
          },
        }),
      );
    }
  }
}
