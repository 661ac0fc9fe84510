import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SECRET_NAMES } from '../../catalog/secrets';
import type { ServiceConfig } from '../config/environment-config';
import type { EnvironmentSecrets } from './environment-secrets';
import type { ResourceNames } from '../config/resource-names';

/** Props of {@link AppService}. */
export interface AppServiceProps {
  /** The environment's names: its roles, task family and log group. */
  readonly names: ResourceNames;
  /** The service: its cluster, name, image, port, size and task count. */
  readonly service: ServiceConfig;
  /** The environment's VPC (imported from configuration); the tasks run in its private subnets, and only there. */
  readonly vpc: ec2.IVpc;
  /** The security groups of the service's tasks (existing ones, not modified here). */
  readonly securityGroupIds: string[];
  /** The environment's secrets, injected into the app container. */
  readonly secrets: EnvironmentSecrets;
}

/** The app container's name in the task definition. */
export const APP_CONTAINER_NAME = 'web';

/**
 * The fleapo web app on Fargate: the task definition whose container receives the five secrets through
 * `secrets` (never `environment`), and the service that runs it in the configured cluster and subnets.
 *
 * Two identities: the *execution role* (ECS itself, at task start) may read exactly the five secrets of its
 * environment, pull the image and write logs; the *task role* (the app's own AWS identity) reads no secret.
 * Deployments replace tasks one by one with the circuit breaker on, so a rollout keeps serving.
 */
export class AppService extends Construct {
  public readonly executionRole: iam.Role;
  public readonly taskRole: iam.Role;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly service: ecs.FargateService;
  public readonly cluster: ecs.ICluster;
  /** The subnets the service's tasks run in (the only ones a rollout may keep). */
  private readonly subnetIds: string[];

  constructor(scope: Construct, id: string, props: AppServiceProps) {
    super(scope, id);
    const { names, service } = props;
    const environmentName = names.environmentName;
    this.subnetIds = props.vpc.privateSubnets.map((subnet) => subnet.subnetId);
    const { account, region } = Stack.of(this);
    const confusedDeputyGuard = {
      StringEquals: { 'aws:SourceAccount': account },
      ArnLike: { 'aws:SourceArn': `arn:${Stack.of(this).partition}:ecs:${region}:${account}:*` },
    };

    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      roleName: names.ecsExecutionRole,
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions(confusedDeputyGuard),
      description: `ECS task execution role of fleapo ${environmentName}: reads the ${environmentName} secrets at task start`,
    });
    this.taskRole = new iam.Role(this, 'TaskRole', {
      roleName: names.ecsTaskRole,
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions(confusedDeputyGuard),
      description: `The fleapo ${environmentName} app's own AWS identity: reads no secret`,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      family: names.taskFamily,
      cpu: service.cpu,
      memoryLimitMiB: service.memoryMiB,
      executionRole: this.executionRole,
      taskRole: this.taskRole,
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: names.serviceLogGroup,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    props.secrets.grantInjection(this.executionRole);
    Validations.of(this.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken (added by grantPull to pull the app image) has no resource-level permissions; every other action of this role names its resources.',
    });
    const secrets: Record<string, ecs.Secret> = {};
    for (const name of SECRET_NAMES) secrets[name] = new InjectedSecret(props.secrets.secrets[name].secretArn);

    this.taskDefinition.addContainer('App', {
      containerName: APP_CONTAINER_NAME,
      image: containerImage(this, service.image),
      essential: true,
      portMappings: [{ containerPort: service.containerPort }],
      secrets,
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: APP_CONTAINER_NAME }),
    });

    this.cluster = ecs.Cluster.fromClusterAttributes(this, 'Cluster', {
      clusterName: names.cluster,
      vpc: props.vpc,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: names.service,
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: service.desiredCount,
      vpcSubnets: { subnets: props.vpc.privateSubnets },
      securityGroups: props.securityGroupIds.map((sg, i) =>
        ec2.SecurityGroup.fromSecurityGroupId(this, `ServiceSecurityGroup${i}`, sg, { mutable: false }),
      ),
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
  }

  /** The ARN of the service (what ECS deployment events name in `resources[0]`). */
  public get serviceArn(): string {
    return this.service.serviceArn;
  }

  /**
   * Allows `grantee` `UpdateService` of this service only, in its cluster, for a forced new deployment: every
   * request parameter that ECS exposes as a condition key must be absent or keep the service as this stack
   * defines it (task definition, no execute command, its subnets, no public IP, no Service Connect, VPC
   * Lattice, EBS volumes, capacity providers, task size). IAM has no key for `desiredCount`,
   * `deploymentConfiguration`, load balancers, placement or `forceNewDeployment` itself (docs/architecture.md, "Least privilege").
   */
  public grantForceNewDeployment(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['ecs:UpdateService'],
      resourceArns: [this.serviceArn],
      conditions: {
        ArnEquals: { 'ecs:cluster': this.cluster.clusterArn },
        ArnEqualsIfExists: { 'ecs:task-definition': this.taskDefinition.taskDefinitionArn },
        StringEqualsIfExists: {
          'ecs:enable-execute-command': 'false',
          'ecs:enable-service-connect': 'false',
          'ecs:enable-vpc-lattice': 'false',
          'ecs:enable-ebs-volumes': 'false',
        },
        BoolIfExists: { 'ecs:auto-assign-public-ip': 'false' },
        'ForAllValues:StringEquals': { 'ecs:subnet': this.subnetIds },
        Null: { 'ecs:capacity-provider': 'true', 'ecs:task-cpu': 'true', 'ecs:task-memory': 'true', 'ecs:namespace': 'true' },
      },
    });
  }

  /**
   * Allows `grantee` to read what the rollout verdict needs (runtime/rollout-verdict.ts), and nothing it could
   * change: `DescribeServices` of this service only; `ListTasks` and `DescribeTasks` in its cluster only. ListTasks has
   * no resource-level permission for a Fargate cluster: `Resource *` limited by the `ecs:cluster` condition key;
   * DescribeTasks is limited to the cluster's task ARNs and the same condition. The cdk-nag findings this causes are
   * acknowledged on the grantee's principal (when it is a construct, e.g. a role), each with its reason.
   */
  public grantRolloutReads(grantee: iam.IGrantable): iam.Grant {
    const inCluster = { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } };
    const tasksArn = Stack.of(this).formatArn({ service: 'ecs', resource: 'task', resourceName: `${this.cluster.clusterName}/*` });
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['ecs:DescribeServices'], resourceArns: [this.serviceArn] })
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['ecs:ListTasks'], resourceArns: ['*'], conditions: inCluster }))
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['ecs:DescribeTasks'], resourceArns: [tasksArn], conditions: inCluster }));
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      Validations.of(principal).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "ecs:ListTasks has no resource-level permission for a Fargate cluster; the statement is limited to the service's cluster with the ecs:cluster condition key.",
      });
      const resolved: unknown = Stack.of(this).resolve(tasksArn);
      const tasksId =
        typeof resolved === 'string'
          ? resolved
          : `arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/${this.cluster.clusterName}/*`;
      Validations.of(principal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${tasksId}]`,
        reason:
          "ecs:DescribeTasks on the tasks of the service's cluster only (resource and ecs:cluster condition): task ids are not known before the tasks run.",
      });
    }
    return grant;
  }
}

/**
 * A Secrets Manager secret injected into a container. Unlike `ecs.Secret.fromSecretsManager`, reading it
 * grants `GetSecretValue` alone: ECS needs nothing else (no DescribeSecret).
 */
class InjectedSecret extends ecs.Secret {
  public readonly hasField = false;

  constructor(public readonly arn: string) {
    super();
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue'], resourceArns: [this.arn] });
  }
}

/** The configured image: from its ECR repository (the execution role may pull exactly that one), else by name. */
function containerImage(scope: Construct, image: string): ecs.ContainerImage {
  const ecrImage = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([^@]+)|@(sha256:[a-f0-9]{64}))$/.exec(image);
  if (!ecrImage) return ecs.ContainerImage.fromRegistry(image);
  const [, account, region, repositoryName, tag, digest] = ecrImage;
  const repository = ecr.Repository.fromRepositoryAttributes(scope, 'ImageRepository', {
    repositoryName,
    repositoryArn: `arn:${Stack.of(scope).partition}:ecr:${region}:${account}:repository/${repositoryName}`,
  });
  return ecs.ContainerImage.fromEcrRepository(repository, tag ?? digest);
}
