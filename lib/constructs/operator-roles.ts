import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { EXTERNAL_SECRET_NAMES, SECRET_NAMES, type SecretName } from '../../catalog/secrets';
import { CONTAIN_TAG_KEYS, ROLLOUT_TAG_KEYS } from '../../catalog/tags';
import type { ResourceNames } from '../config/resource-names';
import type { AppService } from './app-service';
import { grantSecretTagging, type EnvironmentSecrets } from './environment-secrets';

/** Secrets Manager's label of a rotation's new version. */
const AWSPENDING = 'AWSPENDING';

/** Props of {@link OperatorRoles}. */
export interface OperatorRolesProps {
  /** The environment's names: the roles are `fleapo-<env>-operator-read` and `fleapo-<env>-operator-rotate`. */
  readonly names: ResourceNames;
  /**
   * Who may assume both roles: exact IAM role ARNs (IAM Identity Center permission-set roles included, with their
   * `aws-reserved/sso.amazonaws.com/` path) and IAM user ARNs (users only with MFA). At least one.
   */
  readonly trustedPrincipalArns: readonly string[];
  /** The environment's secrets and key. */
  readonly secrets: EnvironmentSecrets;
  /** The environment's service: the rollout reads of both roles, the forced deployment of `roll-current`. */
  readonly service: AppService;
  /** Each secret's rotation function: `RotateSecret` invokes it with the caller's permission. */
  readonly rotationFunctions: Record<SecretName, lambda.IFunction>;
  /**
   * The database role retirement (`fleapo-<env>-database-role-retirement`): `contain DATABASE_URL` invokes it with
   * its contain input (`{"fleapo":"contain","terminateSessions":true}`).
   */
  readonly retirementFunction: lambda.IFunction;
}

/**
 * The roles a person assumes to run `fleapo-secrets` against one environment (`fleapo-<env>-operator-read`,
 * `fleapo-<env>-operator-rotate`), trusted only by the configured principals (`environments.<env>.operators`):
 *
 * - `operator-read`: what `status` calls (DescribeSecret, ListSecretVersionIds on the five secrets; the ECS rollout
 *   reads) and `cloudtrail:LookupEvents` (who did what to the secrets; no resource-level permission exists). No value,
 *   no write.
 * - `operator-rotate`: what `stage`, `rotate`, `roll-current` and `contain` call. On every secret: the reads above,
 *   `RotateSecret` and `lambda:InvokeFunction` of its own rotation function (RotateSecret invokes it with the
 *   caller's permission), `UpdateSecretVersionStage` of the label `AWSPENDING` only (`--abandon-incomplete`,
 *   roll-current, contain), `TagResource` with the rollout keys (roll-current, contain) and the containment keys
 *   (contain) only. On the three issuer-created secrets only: `PutSecretValue` (stage, contain) and the key through
 *   Secrets Manager for those secrets (`kms:GenerateDataKey`, `kms:Decrypt`, which PutSecretValue needs).
 *   `ecs:UpdateService` (a forced deployment: roll-current, contain); `lambda:InvokeFunction` of the database role
 *   retirement (contain DATABASE_URL). Never `GetSecretValue`: `stage` and `contain` read the new value from stdin
 *   and nothing from the secret; never the pending marker (`fleapo:pending`), so no version it labels AWSPENDING is
 *   set or promoted by a rotation function. The secrets' resource policies deny the rest
 *   (lib/constructs/secret-access-policies.ts), whatever the role's policy says.
 *
 * The trust names the principals' accounts with an `ArnEquals` on `aws:PrincipalArn` (not the ARNs as principals):
 * it survives a permission set being re-provisioned (same ARN, new role id) and admits nobody else of that account.
 */
export class OperatorRoles extends Construct {
  /** `fleapo-<env>-operator-read`. */
  public readonly readRole: iam.Role;
  /** `fleapo-<env>-operator-rotate`. */
  public readonly rotateRole: iam.Role;

  constructor(scope: Construct, id: string, props: OperatorRolesProps) {
    super(scope, id);
    if (props.trustedPrincipalArns.length === 0) throw new Error('OperatorRoles: at least one trusted principal');
    const env = props.names.environmentName;
    const { secrets, service } = props;
    const allSecretArns = SECRET_NAMES.map((name) => secrets.secrets[name].secretArn);
    const externalSecrets = EXTERNAL_SECRET_NAMES.map((name) => secrets.secrets[name]);

    const role = (kind: 'read' | 'rotate', description: string) => {
      const [first, ...others] = trustedPrincipals(props.trustedPrincipalArns);
      const r = new iam.Role(this, kind === 'read' ? 'Read' : 'Rotate', {
        roleName: props.names.operatorRole(kind),
        description,
        assumedBy: first,
        maxSessionDuration: Duration.hours(1),
      });
      for (const principal of others)
        r.assumeRolePolicy!.addStatements(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [principal] }));
      return r;
    };

    this.readRole = role('read', `fleapo ${env}: fleapo-secrets status and CloudTrail lookups; reads no secret value`);
    this.rotateRole = role('rotate', `fleapo ${env}: fleapo-secrets stage, rotate, roll-current and contain; reads no secret value`);

    for (const r of [this.readRole, this.rotateRole]) {
      r.addToPolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:DescribeSecret', 'secretsmanager:ListSecretVersionIds'],
          resources: allSecretArns,
        }),
      );
      service.grantRolloutReads(r);
    }
    this.readRole.addToPolicy(new iam.PolicyStatement({ actions: ['cloudtrail:LookupEvents'], resources: ['*'] }));
    Validations.of(this.readRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudtrail:LookupEvents has no resource-level permission (it reads the management events of the region, which hold no secret value); ecs:ListTasks is limited by the ecs:cluster condition.',
    });

    this.rotateRole.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:RotateSecret'], resources: allSecretArns }));
    this.rotateRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [...SECRET_NAMES.map((name) => props.rotationFunctions[name].functionArn), props.retirementFunction.functionArn],
      }),
    );
    const externalArns = externalSecrets.map((s) => s.secretArn);
    this.rotateRole.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: externalArns }));
    this.rotateRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:UpdateSecretVersionStage'],
        resources: allSecretArns,
        conditions: { StringEquals: { 'secretsmanager:VersionStage': AWSPENDING } },
      }),
    );
    grantSecretTagging(
      SECRET_NAMES.map((name) => secrets.secrets[name]),
      this.rotateRole,
      [...ROLLOUT_TAG_KEYS, ...CONTAIN_TAG_KEYS],
    );
    secrets.grantKeyForWrites(this.rotateRole, externalArns);
    service.grantForceNewDeployment(this.rotateRole);
  }
}

/**
 * The trust of an operator role: per account of the trusted principals, that account with `ArnEquals
 * aws:PrincipalArn` of exactly its listed roles; IAM users in a statement of their own that requires MFA
 * (`aws:MultiFactorAuthPresent`, present only in sessions of users who signed in with MFA; a role session never
 * carries it, so it cannot be required of roles).
 */
export function trustedPrincipals(principalArns: readonly string[]): iam.PrincipalWithConditions[] {
  const groups = new Map<string, { account: string; user: boolean; arns: string[] }>();
  for (const arn of principalArns) {
    const parts = /^arn:[a-z-]+:iam::(\d{12}):(role|user)\//.exec(arn);
    if (!parts) throw new Error(`operator principal ${arn}: not an IAM role or user ARN`);
    const [, account, type] = parts;
    const user = type === 'user';
    const key = `${account}/${user}`;
    const group = groups.get(key) ?? { account, user, arns: [] };
    group.arns.push(arn);
    groups.set(key, group);
  }
  return [...groups.values()].map(
    ({ account, user, arns }) =>
      new iam.PrincipalWithConditions(new iam.AccountPrincipal(account), {
        ArnEquals: { 'aws:PrincipalArn': arns },
        ...(user ? { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } : {}),
      }),
  );
}
