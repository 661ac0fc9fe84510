import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { handlerEntry, type HandlerName } from '../../catalog/handlers';
import { ROTATION_TAG_KEYS } from '../../catalog/tags';
import type { AppService } from './app-service';
import { lambdaSourceHash } from '../bundling/lambda-source-hash';
import { ESBUILD_TARGET } from '../node-version';

/** Props of {@link RotationFunction}. */
export interface RotationFunctionProps {
  /** The handler (catalog/handlers.ts): its entry file under `lambda/` exports `handler`. */
  readonly handler: HandlerName;
  /** The function's name, e.g. `fleapo-prod-auth-secret-rotation`. */
  readonly functionName: string;
  readonly description: string;
  /** The handler's environment (names in `catalog/env-vars.ts`). */
  readonly environment: Record<string, string>;
  /** Placement in the database's VPC, for functions that reach the database. */
  readonly vpc?: {
    readonly vpc: ec2.IVpc;
    readonly subnets: ec2.ISubnet[];
    readonly securityGroup: ec2.ISecurityGroup;
  };
  /** @default 2 minutes */
  readonly timeout?: Duration;
}

/** The Lambda runtime of every function here: the latest Node.js runtime aws-cdk-lib knows (cdk-nag AwsSolutions-L1); see lib/node-version.ts. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * A Lambda function of this project: a handler under `lambda/` bundled by esbuild (locally, no Docker,
 * minified, AWS SDK v3 from the runtime), structured JSON logs into a log group that is kept a year, on arm64.
 * Its role may write its own log group and nothing else until a grant method adds exactly what it uses.
 */
export class RotationFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  /** The function's execution role: its own log group, and what the grant methods add. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: RotationFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of its own instead of aws-cdk-lib's default (AWSLambdaBasicExecutionRole: logs on every log group).
    this.role = new iam.Role(this, 'Role', {
      roleName: props.functionName,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.functionName}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
    const entry = path.join(__dirname, '..', '..', handlerEntry(props.handler));
    const bundling = { minify: true, target: ESBUILD_TARGET, forceDockerBundling: false, logLevel: nodejs.LogLevel.WARNING };
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      functionName: props.functionName,
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.minutes(2),
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: props.environment,
      // Hashed by its inputs, so a synth whose cdk.out already holds this bundle does not build it again.
      bundling: { ...bundling, assetHash: lambdaSourceHash(entry, bundling) },
      ...(props.vpc
        ? { vpc: props.vpc.vpc, vpcSubnets: { subnets: props.vpc.subnets }, securityGroups: [props.vpc.securityGroup] }
        : {}),
    });

    if (props.vpc) {
      // What AWSLambdaVPCAccessExecutionRole grants, less its logs:* on every log group.
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Only the network-interface actions Lambda needs to place the function in its VPC (what AWSLambdaVPCAccessExecutionRole grants, without its logs); Lambda manages these interfaces with the execution role and the Describe actions have no resource-level permissions.',
      });
    }
  }

  /**
   * Lets the function run the rotation protocol on `secret` and nothing else: DescribeSecret, GetSecretValue,
   * PutSecretValue, UpdateSecretVersionStage on it; with its key only through Secrets Manager and only for it
   * (`kms:EncryptionContext:SecretARN`): Decrypt to read, GenerateDataKey for PutSecretValue.
   */
  public grantRotation(secret: secretsmanager.ISecret): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [secret.secretArn],
      }),
    );
    this.grantKey(secret, ['kms:Decrypt', 'kms:GenerateDataKey']);
  }

  /** Lets the function read `secret` (DescribeSecret, GetSecretValue, and Decrypt with its key for it only), not stage it. */
  public grantRead(secret: secretsmanager.ISecret): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    this.grantKey(secret, ['kms:Decrypt']);
  }

  /** Lets the function write exactly these tag keys on `secret` (`aws:TagKeys`), and no other. */
  public grantTags(secret: secretsmanager.ISecret, tagKeys: string[]): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:TagResource'],
        resources: [secret.secretArn],
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': tagKeys }, Null: { 'aws:TagKeys': 'false' } },
      }),
    );
  }

  /** Lets the function roll `app` after a rotation of `secret` (a forced new deployment only), and record that rollout in the secret's tags. */
  public grantRollout(secret: secretsmanager.ISecret, app: AppService): void {
    this.grantTags(secret, ROTATION_TAG_KEYS);
    app.grantForceNewDeployment(this.role);
  }

  private grantKey(secret: secretsmanager.ISecret, actions: string[]): void {
    if (!secret.encryptionKey) return;
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions,
        resources: [secret.encryptionKey.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com`,
            'kms:EncryptionContext:SecretARN': secret.secretArn,
          },
        },
      }),
    );
  }
}
