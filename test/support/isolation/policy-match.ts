/**
 * A cheap, conservative pre-check of IAM policy documents: may any Allow statement of a document apply to an action
 * on a resource (ignoring conditions and principals)? It only ever says "no" when the IAM evaluator would also deny,
 * so the search can skip the (slow) evaluator for most action x resource pairs without missing an Allow.
 */

/** An IAM wildcard pattern (`*`, `?`) as a regular expression; actions compare case-insensitively. */
export function wildcard(pattern: string, caseInsensitive = false): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
}

interface CompiledStatement {
  readonly effect: 'Allow' | 'Deny';
  readonly conditional: boolean;
  readonly action: (action: string) => boolean;
  readonly resource: (resource: string) => boolean;
}

const cache = new WeakMap<object, CompiledStatement[]>();

function list(v: unknown): string[] {
  return v === undefined ? [] : ([v].flat() as string[]);
}

function matcher(values: string[], negate: boolean, caseInsensitive: boolean): (s: string) => boolean {
  const res = values.map((v) => wildcard(v, caseInsensitive));
  return negate ? (s) => !res.some((r) => r.test(s)) : (s) => res.some((r) => r.test(s));
}

/** The statements of a policy document, compiled (once per document object). */
export function compile(policy: any): CompiledStatement[] {
  if (!policy || typeof policy !== 'object') return [];
  const hit = cache.get(policy);
  if (hit) return hit;
  const out = [policy.Statement]
    .flat()
    .filter(Boolean)
    .map((s: any) => ({
      effect: s.Effect,
      conditional: s.Condition !== undefined && Object.keys(s.Condition).length > 0,
      action: s.NotAction !== undefined ? matcher(list(s.NotAction), true, true) : matcher(list(s.Action), false, true),
      // A resource policy's statements often omit Resource (trust policies): it then applies to the resource itself.
      resource:
        s.NotResource !== undefined
          ? matcher(list(s.NotResource), true, false)
          : s.Resource === undefined
            ? () => true
            : matcher(list(s.Resource), false, false),
    }));
  cache.set(policy, out);
  return out;
}

/** Whether some Allow statement of one of `policies` names the action and the resource (conditions not checked). */
export function mayAllow(policies: any[], action: string, resource: string): boolean {
  return policies.some((p) => compile(p).some((s) => s.effect === 'Allow' && s.action(action) && s.resource(resource)));
}

/** Whether an unconditional Deny of one of `policies` names the action and the resource (then nothing can allow it). */
export function surelyDenies(policies: any[], action: string, resource: string): boolean {
  return policies.some((p) => compile(p).some((s) => s.effect === 'Deny' && !s.conditional && s.action(action) && s.resource(resource)));
}
