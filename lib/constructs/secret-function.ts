import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { assertNever } from '../../catalog/assert-never';
import { ENV_ECS_CLUSTER, ENV_ECS_SERVICE, ENV_FLEAPO_ENVIRONMENT } from '../../catalog/env-vars';
import type { ResourceNames } from '../config/resource-names';
import type { AppService } from './app-service';
import { grantSecretRead, grantSecretTagging } from './environment-secrets';
import type { HandlerName } from '../../catalog/handlers';
import type { HandlerEnvironment } from '../../runtime/handler-environment';
import { RotationFunction, type RotationFunctionProps } from './rotation-function';
import { attachOnDemandRotation, scheduleRotation, type RotationTiming } from './rotation-schedule';

/** What a {@link SecretFunction} may do with its secrets' values, besides writing its tag keys on them. */
export type SecretUse =
  /**
   * It is the secret's rotation function: attached to it on a schedule (`timing`) or for rotations started on demand
   * only, and allowed the rotation protocol on it ({@link attachOnDemandRotation}, {@link scheduleRotation}).
   */
  | { readonly kind: 'rotation'; readonly secret: secretsmanager.Secret; readonly timing: RotationTiming | 'on-demand' }
  /** It reads the secrets (DescribeSecret, GetSecretValue, ListSecretVersionIds), never stages them. */
  | { readonly kind: 'read'; readonly secrets: secretsmanager.ISecret[] }
  /** It describes the secrets and lists their versions (never reads a value). */
  | { readonly kind: 'describe'; readonly secrets: secretsmanager.ISecret[] };

/** Props of {@link SecretFunction}. */
export interface SecretFunctionProps<H extends HandlerName = HandlerName> extends Omit<RotationFunctionProps, 'environment' | 'handler'> {
  /** The handler (catalog/handlers.ts): its environment is typed by runtime/handler-environment.ts. */
  readonly handler: H;
  /** The environment's names: its name is what the handler checks its events against. */
  readonly names: ResourceNames;
  /** The environment's service: the handler's ECS target. */
  readonly service: AppService;
  /**
   * The handler's own variables, as runtime/handler-environment.ts declares them for it (names in
   * `catalog/env-vars.ts`); the ECS cluster and service and the environment's name are added.
   */
  readonly environment: HandlerEnvironment<H>;
  /** Which secrets it works on, and what it may do with their values. */
  readonly use: SecretUse;
  /** The tag keys it records its work with on those secrets, and no other (`aws:TagKeys`). */
  readonly tagKeys: readonly string[];
  /** Rolls the service (a forced new deployment of it only) after it changed a value. */
  readonly rollsService: boolean;
  /** Reads the service's rollout (its deployments, the tasks of its cluster). */
  readonly readsRollout: boolean;
}

/**
 * A function of the environment that works on its secrets and follows its service (every rotation function, the
 * database role retirement, the revoke notice): a {@link RotationFunction} whose handler is told the ECS cluster,
 * service and environment, allowed what {@link SecretUse} says on its secrets and to tag them with its own tag keys
 * only, and, as asked, to roll the service and to read its rollout. Nothing else: what a handler needs beyond that,
 * its construct grants.
 */
export class SecretFunction<H extends HandlerName = HandlerName> extends RotationFunction {
  /** The secrets it works on. */
  public readonly secrets: secretsmanager.ISecret[];

  constructor(scope: Construct, id: string, props: SecretFunctionProps<H>) {
    const { names, service, use, tagKeys, rollsService, readsRollout, ...fn } = props;
    super(scope, id, {
      ...fn,
      environment: {
        ...props.environment,
        [ENV_ECS_CLUSTER]: service.cluster.clusterArn,
        [ENV_ECS_SERVICE]: service.serviceArn,
        [ENV_FLEAPO_ENVIRONMENT]: names.environmentName,
      },
    });
    this.secrets = use.kind === 'rotation' ? [use.secret] : use.secrets;
    switch (use.kind) {
      case 'rotation':
        if (use.timing === 'on-demand') attachOnDemandRotation(use.secret, this);
        else scheduleRotation(use.secret, this, use.timing);
        break;
      case 'read':
        for (const secret of use.secrets) grantSecretRead(secret, this);
        break;
      case 'describe':
        iam.Grant.addToPrincipal({
          grantee: this,
          actions: ['secretsmanager:DescribeSecret', 'secretsmanager:ListSecretVersionIds'],
          resourceArns: use.secrets.map((s) => s.secretArn),
        });
        break;
      default:
        assertNever(use);
    }
    grantSecretTagging(this.secrets, this, [...tagKeys]);
    if (rollsService) service.grantForceNewDeployment(this);
    if (readsRollout) service.grantRolloutReads(this);
  }
}
