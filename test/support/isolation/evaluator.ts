import { runSimulation } from '@cloud-copilot/iam-simulate';
import { mayAllow, surelyDenies } from './policy-match';

/** Whether a policy document is one unconditional Allow of every action on every resource. */
function allowsEverything(policy: any): boolean {
  const statements = [policy?.Statement].flat();
  const s = statements[0];
  return (
    statements.length === 1 &&
    s?.Effect === 'Allow' &&
    [s.Action].flat().includes('*') &&
    [s.Resource].flat().includes('*') &&
    !s.Condition &&
    !s.NotAction &&
    !s.NotResource
  );
}

/** Who asks: a principal's ARN, account, identity policies and permissions boundary (documents, resolved). */
export interface Caller {
  readonly arn: string;
  readonly account: string;
  readonly identity: any[];
  readonly boundary?: any[];
}

/** What is asked: an action on a resource of an account, with its resource policy and request context. */
export interface Ask {
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  readonly resourcePolicy?: any;
  readonly context?: Record<string, string | string[]>;
}

/** Counters of one search (for the report and the speed budget). */
export interface EvaluatorStats {
  asked: number;
  skipped: number;
  simulated: number;
  cached: number;
}

/**
 * The IAM evaluator (`@cloud-copilot/iam-simulate`) behind a conservative pre-check (no Allow statement can name the
 * request, or an unconditional Deny does: no simulation) and a cache keyed by everything that decides the answer.
 * Unlike test/infra/iam-evaluator.ts it does not fail on context keys the action does not take (the search passes the
 * resource's tag to every action; IAM too only uses the keys an action supports).
 */
export class CachedEvaluator {
  readonly stats: EvaluatorStats = { asked: 0, skipped: 0, simulated: 0, cached: 0 };
  private readonly cache = new Map<string, boolean>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  private id(o: unknown): number {
    if (!o || typeof o !== 'object') return 0;
    let n = this.ids.get(o);
    if (!n) this.ids.set(o, (n = this.nextId++));
    return n;
  }

  /** Whether IAM allows the request. */
  async allowed(caller: Caller, ask: Ask): Promise<boolean> {
    this.stats.asked++;
    if (!this.mayBeAllowed(caller, ask)) {
      this.stats.skipped++;
      return false;
    }
    const key = [
      caller.arn,
      caller.identity.map((p) => this.id(p)).join(','),
      (caller.boundary ?? []).map((p) => this.id(p)).join(','),
      ask.action,
      ask.resource,
      ask.resourceAccount,
      this.id(ask.resourcePolicy),
      JSON.stringify(ask.context ?? {}),
    ].join('|');
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.stats.cached++;
      return hit;
    }
    // A role's boundary must allow what it does (a resource policy aside): asked alone once, for every role it bounds.
    if (caller.boundary && ask.resourcePolicy === undefined) {
      const bounded = await this.allowed(
        { arn: caller.arn.replace(/\/[^/]*$/, '/bounded'), account: caller.account, identity: caller.boundary },
        ask,
      );
      this.stats.asked--;
      // An identity that allows everything unconditionally leaves the decision to the boundary alone.
      if (!bounded || caller.identity.every(allowsEverything)) {
        this.cache.set(key, bounded);
        return bounded;
      }
    }
    const allowed = await this.simulate(caller, ask);
    this.cache.set(key, allowed);
    return allowed;
  }

  private async simulate(caller: Caller, ask: Ask): Promise<boolean> {
    this.stats.simulated++;
    const response = await runSimulation(
      {
        identityPolicies: caller.identity.map((policy, i) => ({ name: `identity${i}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: ask.resourcePolicy,
        ...(caller.boundary ? { permissionBoundaryPolicies: caller.boundary.map((policy, i) => ({ name: `boundary${i}`, policy })) } : {}),
        request: {
          principal: caller.arn,
          action: ask.action,
          resource: { resource: ask.resource, accountId: ask.resourceAccount },
          contextVariables: { 'aws:ResourceAccount': ask.resourceAccount, ...ask.context },
        },
      } as any,
      {},
    );
    // The evaluator refuses an action on a resource that is none of its resource types: IAM would not allow it either.
    if (response.resultType === 'error' && JSON.stringify(response.errors).includes('no.resource.types')) return false;
    if (response.resultType === 'error') {
      throw new Error(`IAM simulation error for ${ask.action} on ${ask.resource}: ${JSON.stringify(response.errors)}`);
    }
    return response.overallResult === 'Allowed';
  }

  private mayBeAllowed(caller: Caller, ask: Ask): boolean {
    const { action, resource } = ask;
    const all = [...caller.identity, ...(caller.boundary ?? []), ...(ask.resourcePolicy ? [ask.resourcePolicy] : [])];
    if (surelyDenies(all, action, resource)) return false;
    if (caller.boundary && !mayAllow(caller.boundary, action, resource)) return false;
    const byResourcePolicy = ask.resourcePolicy !== undefined && mayAllow([ask.resourcePolicy], action, resource);
    const byIdentity = mayAllow(caller.identity, action, resource);
    // Across accounts both must allow; in one account either may (IAM's same-account rule for most services).
    return caller.account === ask.resourceAccount ? byIdentity || byResourcePolicy : byIdentity && byResourcePolicy;
  }
}
