import { Stack, Token, Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * Lets `fn` read what the rollout verdict (lambda/rotation/rollout-verdict.ts) needs, and nothing it could change:
 * `ecs:DescribeServices` on `service`; `ecs:ListTasks` and `ecs:DescribeTasks` in the service's cluster only.
 * ListTasks has no resource-level permission for a Fargate cluster: it is `Resource *` limited by the `ecs:cluster`
 * condition key; DescribeTasks is limited to the cluster's task ARNs and the same condition. The cdk-nag findings
 * this causes are acknowledged on `fn`, each with its reason.
 */
export function grantRolloutReads(fn: lambda.IFunction, service: ecs.IBaseService): iam.Grant {
  const stack = Stack.of(fn);
  const cluster = service.cluster;
  const inCluster = { ArnEquals: { 'ecs:cluster': cluster.clusterArn } };
  const tasksArn = stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${cluster.clusterName}/*` });
  const describe = iam.Grant.addToPrincipal({ grantee: fn, actions: ['ecs:DescribeServices'], resourceArns: [service.serviceArn] });
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:ListTasks'], resources: ['*'], conditions: inCluster }));
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTasks'], resources: [tasksArn], conditions: inCluster }));
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: "ecs:ListTasks has no resource-level permission for a Fargate cluster; the statement is limited to the service's cluster with the ecs:cluster condition key.",
  });
  const tasksId = Token.isUnresolved(tasksArn) ? stack.resolve(tasksArn) : tasksArn;
  Validations.of(fn).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${typeof tasksId === 'string' ? tasksId : `arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/${cluster.clusterName}/*`}]`,
    reason: "ecs:DescribeTasks on the tasks of the service's cluster only (resource and ecs:cluster condition): task ids are not known before the tasks run.",
  });
  return describe;
}
