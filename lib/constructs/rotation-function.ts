import * as path from 'path';
import { Duration, RemovalPolicy, type Acknowledgment } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

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

/** The Lambda runtime of every function here: the latest Node.js runtime aws-cdk-lib knows. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * A Lambda function of this project: a handler under `lambda/` bundled by esbuild (locally, no Docker,
 * minified, AWS SDK v3 from the runtime), structured JSON logs into a log group that is kept a year, on arm64.
 */
export class RotationFunction extends Construct {
  /**
   * cdk-nag findings every function here has, each for a reason that holds for all of them. Acknowledged on
   * the function (and so its role and policies) only.
   */
  public static readonly ACKNOWLEDGEMENTS: Acknowledgment[] = [
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The AWS managed basic execution policy only lets the function write its own logs; aws-cdk-lib attaches it to every function role.',
    },
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason: 'Functions that reach the database run in its VPC: Lambda needs this AWS managed policy to create their network interfaces.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'secretsmanager:GetRandomPassword (granted by aws-cdk-lib to every rotation function) and the VPC network-interface actions have no resource-level permissions.',
    },
  ];

  public readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: RotationFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(__dirname, '..', '..', 'lambda', props.entry),
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
      bundling: { minify: true, target: 'node22', forceDockerBundling: false },
      ...(props.vpc
        ? { vpc: props.vpc.vpc, vpcSubnets: { subnets: props.vpc.subnets }, securityGroups: [props.vpc.securityGroup] }
        : {}),
    });
  }
}
