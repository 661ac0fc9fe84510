import { runSimulation } from '@cloud-copilot/iam-simulate';

/** The outcome of an IAM evaluation. */
export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** One request to evaluate against the policies that apply to it. */
export interface EvaluationRequest {
  /** ARN of the calling principal (role ARN, or the OIDC provider ARN for AssumeRoleWithWebIdentity). */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** Account that owns the resource. */
  readonly resourceAccount: string;
  /** The principal's identity policies (documents). */
  readonly identityPolicies?: any[];
  /** The principal's permissions boundary, if it has one (documents). */
  readonly permissionBoundaries?: any[];
  /** The resource's policy: a role's trust policy, a KMS key policy. */
  readonly resourcePolicy?: any;
  /** Request context (condition keys and their values). */
  readonly context?: Record<string, string | string[]>;
}

/**
 * Condition keys that iam-simulate's action data does not list (it drops them from the request and the
 * policy condition then fails as if the key were missing): the OIDC provider's claim keys and KMS
 * encryption-context keys. We rename them, in the policies and in the request alike, onto a global key
 * that it evaluates with the same operators; the comparison semantics are unchanged.
 */
const RENAMED_KEYS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^token\.actions\.githubusercontent\.com:(\w+)$/i, (m) => `aws:PrincipalTag/github_${m[1]}`],
  [/^kms:EncryptionContext:(\w+)$/i, (m) => `aws:PrincipalTag/kms_ec_${m[1]}`],
];

function renameKey(key: string): string {
  for (const [pattern, to] of RENAMED_KEYS) {
    const m = pattern.exec(key);
    if (m) return to(m);
  }
  return key;
}

function renamePolicyKeys(policy: any): any {
  if (!policy) return policy;
  const statements = [policy.Statement].flat().map((s: any) => {
    if (!s.Condition) return s;
    const condition = Object.fromEntries(
      Object.entries(s.Condition).map(([op, keys]: [string, any]) => [
        op,
        Object.fromEntries(Object.entries(keys).map(([k, v]) => [renameKey(k), v])),
      ]),
    );
    return { ...s, Condition: condition };
  });
  return { ...policy, Statement: statements };
}

/**
 * The keys AWS puts in every request of an IAM role or user, which iam-simulate leaves to the caller:
 * `aws:PrincipalArn` (the role's ARN, also for a session of it) and `aws:PrincipalIsAWSService` (false).
 */
function principalKeys(principal: string): Record<string, string> {
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(principal);
  if (session)
    return { 'aws:PrincipalArn': `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`, 'aws:PrincipalIsAWSService': 'false' };
  if (/^arn:[^:]+:iam::\d{12}:(role|user)\//.test(principal))
    return { 'aws:PrincipalArn': principal, 'aws:PrincipalIsAWSService': 'false' };
  return {};
}

/** Evaluates one request with iam-simulate (an IAM policy evaluation engine) and returns its decision. */
export async function evaluate(request: EvaluationRequest): Promise<Decision> {
  const context = Object.fromEntries(
    Object.entries({ ...principalKeys(request.principal), ...request.context }).map(([k, v]) => [renameKey(k), v]),
  );
  const response = await runSimulation(
    {
      identityPolicies: (request.identityPolicies ?? []).map((policy, i) => ({ name: `policy${i}`, policy: renamePolicyKeys(policy) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: renamePolicyKeys(request.resourcePolicy),
      ...(request.permissionBoundaries
        ? {
            permissionBoundaryPolicies: request.permissionBoundaries.map((policy, i) => ({
              name: `boundary${i}`,
              policy: renamePolicyKeys(policy),
            })),
          }
        : {}),
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        contextVariables: context,
      },
    } as any,
    {},
  );
  if (response.resultType === 'error') throw new Error(`IAM simulation error: ${JSON.stringify(response.errors)}`);
  const ignored = response.resultType === 'single' ? (response.result.ignoredContextKeys ?? []) : [];
  if (ignored.length > 0) throw new Error(`iam-simulate ignored context keys ${ignored.join(', ')}: the evaluation would be wrong`);
  return response.overallResult as Decision;
}
