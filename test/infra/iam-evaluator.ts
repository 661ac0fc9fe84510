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

/** Evaluates one request with iam-simulate (an IAM policy evaluation engine) and returns its decision. */
export async function evaluate(request: EvaluationRequest): Promise<Decision> {
  const context = Object.fromEntries(Object.entries(request.context ?? {}).map(([k, v]) => [renameKey(k), v]));
  // IAM sets aws:PrincipalArn on every request (a role's ARN for its sessions); iam-simulate leaves it to the caller.
  const roleArn = /^arn:([^:]+):(?:iam|sts)::(\d{12}):(?:role|assumed-role)\/([^/]+)/.exec(request.principal);
  if (roleArn && !('aws:PrincipalArn' in context)) context['aws:PrincipalArn'] = `arn:${roleArn[1]}:iam::${roleArn[2]}:role/${roleArn[3]}`;
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
