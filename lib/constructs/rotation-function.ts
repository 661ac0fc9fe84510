import * as path from 'path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { lambdaSourceHash } from '../bundling/lambda-source-hash';
import { ESBUILD_TARGET } from '../node-version';
import { grantRolloutTags } from './rotation-schedule';

/** Props of {@link RotationFunction}. */
export interface RotationFunctionProps {
  /** The handler file under `lambda/`, e.g. `auth-secret-rotation.ts`; it exports `handler`. */
  readonly entry: string;
  /** The function's name, e.g. `fleapo-prod-auth-secret-rotation`. */
  readonly functionName: string;
  readonly description: string;
  /** The handler's environment (see `lambda/config/env.ts`). */
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
 * The cdk-nag findings that every such function has are acknowledged here, each for its reason.
 */
export class RotationFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: RotationFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const entry = path.join(__dirname, '..', '..', 'lambda', props.entry);
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
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: props.environment,
      // Hashed by its inputs, so a synth whose cdk.out already holds this bundle does not build it again.
      bundling: { ...bundling, assetHash: lambdaSourceHash(entry, bundling) },
      ...(props.vpc
        ? { vpc: props.vpc.vpc, vpcSubnets: { subnets: props.vpc.subnets }, securityGroups: [props.vpc.securityGroup] }
        : {}),
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The AWS managed basic execution policy only lets the function write its own logs; aws-cdk-lib attaches it to every function role.',
    });
    if (props.vpc) {
      Validations.of(this.function).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'The function reaches the database in its VPC: Lambda needs this AWS managed policy to create its network interfaces.',
      });
    }
  }

  /** Lets the function roll `service` after a rotation of `secret`, and record that rollout in the secret's tags. */
  public grantRollout(secret: secretsmanager.ISecret, service: ecs.IBaseService): void {
    grantRolloutTags(secret, this.function);
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:UpdateService'], resources: [service.serviceArn] }));
  }
}
