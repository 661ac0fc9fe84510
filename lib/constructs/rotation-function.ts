import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV_POWERTOOLS_SERVICE_NAME } from '../../catalog/env-vars';
import type { HandlerName } from '../../catalog/handlers';
import { BUNDLE_HANDLER, handlerCode } from '../bundling/handler-code';
import { lambdaLogGroupName } from '../config/resource-names';

/** Props of {@link RotationFunction}. */
export interface RotationFunctionProps {
  /** The handler (catalog/handlers.ts): its entry file under `lambda/` exports `handler`. */
  readonly handler: HandlerName;
  /** The function's name, e.g. `fleapo-prod-auth-secret-rotation`. */
  readonly functionName: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /** The handler's environment (names in `catalog/env-vars.ts`); `POWERTOOLS_SERVICE_NAME` is the function's name. */
  readonly environment: Record<string, string>;
  /**
   * Placement in the database's VPC, for functions that reach the database.
   * @default outside any VPC
   */
  readonly vpc?: {
    readonly vpc: ec2.IVpc;
    readonly subnets: ec2.ISubnet[];
    readonly securityGroup: ec2.ISecurityGroup;
  };
  /** @default 2 minutes */
  readonly timeout?: Duration;
}

/**
 * The Lambda runtime of every function here: the latest Node.js runtime aws-cdk-lib knows (cdk-nag AwsSolutions-L1);
 * see lib/node-version.ts.
 */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * A Lambda function of this project: a handler under `lambda/` bundled by esbuild (locally, no Docker,
 * minified, AWS SDK v3 from the runtime), structured JSON logs into a log group that is kept a year, on arm64.
 * Its role may write its own log group and nothing else until a grant adds exactly what it uses: it is the grantee
 * of the grants on what it uses (e.g. `grantSecretRotation(secret, fn)`, `service.grantRolloutReads(fn)`).
 */
export class RotationFunction extends Construct implements iam.IGrantable {
  public readonly function: lambda.Function;
  /** The function's execution role: its own log group, and what the grant methods add. */
  public readonly role: iam.Role;
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: RotationFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: lambdaLogGroupName(props.functionName),
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of its own instead of aws-cdk-lib's default (AWSLambdaBasicExecutionRole: logs on every log group).
    this.role = new iam.Role(this, 'Role', {
      roleName: props.functionName,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.functionName}`,
    });
    this.grantPrincipal = this.role;
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
    this.function = new lambda.Function(this, 'Function', {
      // Bundled by esbuild as NodejsFunction would, hashed by its inputs (lib/bundling/handler-code.ts).
      code: handlerCode(props.handler, FUNCTION_RUNTIME),
      handler: BUNDLE_HANDLER,
      functionName: props.functionName,
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.minutes(2),
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // The service name of its structured logs (Powertools) is the function's name.
      environment: { ...props.environment, [ENV_POWERTOOLS_SERVICE_NAME]: props.functionName },
      ...(props.vpc ? { vpc: props.vpc.vpc, vpcSubnets: { subnets: props.vpc.subnets }, securityGroups: [props.vpc.securityGroup] } : {}),
    });

    if (props.vpc) {
      // What AWSLambdaVPCAccessExecutionRole grants, less its logs:* on every log group, and creating a network interface
      // only in the function's own subnets with its own security group (EC2 authorizes CreateNetworkInterface on the
      // interface, the subnet and the security groups): a role of one environment never places an interface in another's
      // network. Lambda creates the function's interfaces with this role.
      const ec2Arn = (resource: string) => Stack.of(this).formatArn({ service: 'ec2', resource });
      const interfaces = ec2Arn('network-interface/*');
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ec2:CreateNetworkInterface'],
          resources: [
            interfaces,
            ...props.vpc.subnets.map((s) => ec2Arn(`subnet/${s.subnetId}`)),
            ec2Arn(`security-group/${props.vpc.securityGroup.securityGroupId}`),
          ],
        }),
      );
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
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
        id: `AwsSolutions-IAM5[Resource::${interfaces}]`,
        reason: "A new network interface has no id yet: created only in the function's own subnets with its own security group.",
      });
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "Only the network-interface actions Lambda needs to manage the function's interfaces in its VPC (what AWSLambdaVPCAccessExecutionRole grants, without its logs; creating one is limited to the function's subnets and security group); the Describe actions have no resource-level permissions and Lambda's documentation asks DeleteNetworkInterface on every interface.",
      });
    }
  }
}
