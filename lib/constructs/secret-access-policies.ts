import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SECRET_NAMES, type SecretName } from '../../catalog/secrets';
import type { EnvironmentSecrets } from './environment-secrets';

/** Secrets Manager's label of a rotation's new version. */
const AWSPENDING = 'AWSPENDING';
/** Every tag key of the project's bookkeeping on a secret (catalog/tags.ts) starts with it. */
const PROJECT_TAG_KEYS = 'fleapo:*';

/** Who may do what to one secret, as IAM role ARNs (aws:PrincipalArn); break-glass and the deployer are added by the construct. */
export interface SecretAccess {
  /** `GetSecretValue`: the ECS execution role, the secret's rotation function, the retirement function (DATABASE_URL). */
  readonly read: readonly string[];
  /**
   * `PutSecretValue` and `UpdateSecretVersionStage` of any label: the secret's rotation function (and, for
   * `PutSecretValue` only, the operator on the issuer-created secrets: see `pendingLabelOnly`).
   */
  readonly write: readonly string[];
  /**
   * The principals whose `UpdateSecretVersionStage` may only move or remove the label `AWSPENDING` (the operator's
   * `--abandon-incomplete`, `roll-current` and `contain`), whether or not they are among `write`. A principal listed
   * here and not in `write` stores no value on the secret.
   */
  readonly pendingLabelOnly?: readonly string[];
  /** `TagResource` / `UntagResource` of each `fleapo:` tag key: who writes it. A key not listed here is nobody's. */
  readonly tags: Readonly<Record<string, readonly string[]>>;
  /** The secret's rotation function: `RotateSecret` may name no other (`secretsmanager:RotationLambdaARN`). */
  readonly rotationFunctionArn: string;
}

/** Props of {@link SecretAccessPolicies}. */
export interface SecretAccessPoliciesProps {
  /** The environment's secrets and key. */
  readonly secrets: EnvironmentSecrets;
  /** Per secret, who may read, write, re-label and tag it. */
  readonly access: Readonly<Record<SecretName, SecretAccess>>;
  /**
   * The role CloudFormation deploys the stack with (the environment's CDK bootstrap execution role, trusted by
   * `cloudformation.amazonaws.com` only): the one principal that may change a secret's configuration, its resource
   * policy and the key's policy. It reads and writes no value.
   */
  readonly deployerRoleArn: string;
  /** The configured break-glass role (`environments.<env>.breakGlassRoleArn`): every value path, no configuration. */
  readonly breakGlassRoleArn?: string;
}

/** Actions on a secret that change what it is or who may use it: the deployer's alone. */
const CONFIGURATION_ACTIONS = [
  'secretsmanager:PutResourcePolicy',
  'secretsmanager:DeleteResourcePolicy',
  'secretsmanager:UpdateSecret',
  'secretsmanager:DeleteSecret',
  'secretsmanager:RestoreSecret',
  'secretsmanager:CancelRotateSecret',
  'secretsmanager:ReplicateSecretToRegions',
  'secretsmanager:RemoveRegionsFromReplication',
  'secretsmanager:StopReplicationToReplica',
];

/** Key actions that change who may use the key, or disable or destroy it: the deployer's alone. */
const KEY_CONFIGURATION_ACTIONS = [
  'kms:PutKeyPolicy',
  'kms:CreateGrant',
  'kms:ScheduleKeyDeletion',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:TagResource',
  'kms:UntagResource',
];

/**
 * Resource policies on the environment's five secrets, and the matching statements of its key's policy, that deny,
 * whatever an identity policy allows (an account administrator's `*` included; an identity allow cannot override a
 * resource-policy deny):
 *
 * - `GetSecretValue` to every principal but the secret's readers and the break-glass role;
 * - `PutSecretValue` to every principal but the secret's writers and break-glass; `UpdateSecretVersionStage` to every
 *   principal but those and the `pendingLabelOnly` principals, and to the `pendingLabelOnly` principals any label but
 *   `AWSPENDING`;
 * - `TagResource` / `UntagResource` of each `fleapo:` key to every principal but that key's writers and break-glass;
 * - the secret's configuration (its resource policy, `UpdateSecret`, deletion, replication, cancelling rotation,
 *   `RotateSecret` that changes the rules) to every principal but the deployer; `RotateSecret` naming another
 *   function to everyone; a `PutResourcePolicy` without `BlockPublicPolicy` to everyone;
 * - on the key: any use not through Secrets Manager; `Decrypt` to all but the readers, writers and the deployer;
 *   `GenerateDataKey*` to all but the writers and the deployer; `Encrypt`/`ReEncrypt*` to all but the deployer; its
 *   policy, grants, tags, disabling and deletion to all but the deployer.
 *
 * Calls that a service makes as its own service principal (`aws:PrincipalIsAWSService`) are not denied: no person
 * can make one, and Secrets Manager's own bookkeeping of a rotation is one. Every statement is a Deny: the policies
 * grant nothing, so none is "public" (`BlockPublicPolicy` is set and required).
 */
export class SecretAccessPolicies extends Construct {
  constructor(scope: Construct, id: string, props: SecretAccessPoliciesProps) {
    super(scope, id);
    const { secrets, access, deployerRoleArn } = props;
    const breakGlass = props.breakGlassRoleArn ? [props.breakGlassRoleArn] : [];

    for (const name of SECRET_NAMES) {
      const secret = secrets.secrets[name];
      for (const statement of secretStatements(access[name], deployerRoleArn, breakGlass)) secret.addToResourcePolicy(statement);
      blockPublicPolicy(secret);
    }

    const all = SECRET_NAMES.map((name) => access[name]);
    const readers = unique([...all.flatMap((a) => a.read), ...all.flatMap((a) => a.write), deployerRoleArn, ...breakGlass]);
    const writers = unique([...all.flatMap((a) => a.write), deployerRoleArn, ...breakGlass]);
    const region = Stack.of(this).region;
    const keyStatements = [
      deny(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'], {
        StringNotEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
      }),
      deny(['kms:Decrypt'], notAmong(readers)),
      deny(['kms:GenerateDataKey*'], notAmong(writers)),
      deny(['kms:Encrypt', 'kms:ReEncrypt*', ...KEY_CONFIGURATION_ACTIONS], notAmong([deployerRoleArn])),
    ];
    for (const statement of keyStatements) secrets.key.addToResourcePolicy(statement);
  }
}

/** The resource policy of one secret (see {@link SecretAccessPolicies}). */
function secretStatements(access: SecretAccess, deployer: string, breakGlass: string[]): iam.PolicyStatement[] {
  const statements = [deny(['secretsmanager:GetSecretValue'], notAmong([...access.read, ...breakGlass]))];
  const pendingOnly = access.pendingLabelOnly ?? [];
  const labelWriters = [...access.write, ...pendingOnly, ...breakGlass];
  if (pendingOnly.every((arn) => access.write.includes(arn))) {
    statements.push(deny(['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'], notAmong(labelWriters)));
  } else {
    statements.push(
      deny(['secretsmanager:PutSecretValue'], notAmong([...access.write, ...breakGlass])),
      deny(['secretsmanager:UpdateSecretVersionStage'], notAmong(labelWriters)),
    );
  }
  if (pendingOnly.length > 0) {
    statements.push(
      deny(['secretsmanager:UpdateSecretVersionStage'], {
        ArnEquals: { 'aws:PrincipalArn': [...pendingOnly] },
        StringNotEquals: { 'secretsmanager:VersionStage': AWSPENDING },
      }),
    );
  }
  // Each tag key: only its writers. Keys with the same writers share a statement; any other fleapo: key is nobody's.
  const byWriters = new Map<string, { keys: string[]; writers: string[] }>();
  for (const [key, writers] of Object.entries(access.tags)) {
    // Grouped by the set of writers; listed in the order given (token strings sort differently from one synth to the next).
    const ordered = unique([...writers, ...breakGlass]);
    const set = [...ordered].sort().join(' ');
    const group = byWriters.get(set) ?? { keys: [], writers: ordered };
    group.keys.push(key);
    byWriters.set(set, group);
  }
  for (const { keys, writers } of byWriters.values()) {
    statements.push(tagDeny({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': keys } }, writers));
  }
  statements.push(
    tagDeny(
      { 'ForAnyValue:StringLike': { 'aws:TagKeys': [PROJECT_TAG_KEYS] } },
      unique([...Object.values(access.tags).flat(), ...breakGlass]),
    ),
  );
  statements.push(
    deny(CONFIGURATION_ACTIONS, notAmong([deployer])),
    deny(['secretsmanager:RotateSecret'], { ...notAmong([deployer]), Bool: { 'secretsmanager:ModifyRotationRules': 'true' } }),
    deny(['secretsmanager:RotateSecret'], {
      Null: { 'secretsmanager:RotationLambdaARN': 'false' },
      ArnNotEquals: { 'secretsmanager:RotationLambdaARN': access.rotationFunctionArn },
      BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
    }),
    deny(['secretsmanager:PutResourcePolicy'], {
      BoolIfExists: { 'secretsmanager:BlockPublicPolicy': 'false', 'aws:PrincipalIsAWSService': 'false' },
    }),
  );
  return statements;
}

/** Denies tagging and untagging with the keys `keys` selects to every principal but `writers`. */
function tagDeny(keys: Record<string, Record<string, string[]>>, writers: string[]): iam.PolicyStatement {
  const condition = notAmong(writers);
  return deny(['secretsmanager:TagResource', 'secretsmanager:UntagResource'], { ...condition, ...keys });
}

/** The condition "the caller is none of `arns`" (and not a service acting as itself). */
function notAmong(arns: readonly string[]): Record<string, Record<string, unknown>> {
  return {
    ArnNotEquals: { 'aws:PrincipalArn': unique(arns) },
    BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
  };
}

function deny(actions: string[], conditions: Record<string, Record<string, unknown>>): iam.PolicyStatement {
  return new iam.PolicyStatement({ effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], actions, resources: ['*'], conditions });
}

/** Sets `BlockPublicPolicy` on the secret's `AWS::SecretsManager::ResourcePolicy` (the API's default is false). */
function blockPublicPolicy(secret: secretsmanager.Secret): void {
  const policy = secret.node.tryFindChild('Policy');
  const resource = policy?.node.defaultChild as { addPropertyOverride?: (path: string, value: unknown) => void } | undefined;
  if (!resource?.addPropertyOverride) throw new Error(`${secret.node.path}: no resource policy to block public policies on`);
  resource.addPropertyOverride('BlockPublicPolicy', true);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
