import { evaluate } from '../../infra/iam-evaluator';
import type { ActionCatalog, CatalogAction } from './catalog';
import { CachedEvaluator, type EvaluatorStats } from './evaluator';
import { ENVIRONMENT_TAG, imageRepository, isMutableImage, type Principal, type World, type WorldResource } from './world';

/**
 * The isolation search: a breadth-first search over what an attacker holding staging can come to hold. Its state is a
 * set of facts — principals controlled, `fleapo:environment` tag values a resource can be given, prod resources
 * reached, policies that admit an outside account — that only grows; each round applies every rule to the facts of the
 * rounds before, so a fact found in round d has a chain of d steps (the tags an action relied on are part of its
 * chain). Each rule is "an allowed action X on resource R makes fact F":
 *
 * - any catalog action on a prod resource with a Write, Permissions management or Tagging access level, or one of the
 *   reads that return secret material ({@link SECRET_READS}): that prod resource is reached;
 * - a tagging call with `fleapo:environment=staging` (an untagging call): the resource can carry that tag (none), and
 *   every later action on it is evaluated with that `aws:ResourceTag`;
 * - sts:AssumeRole, a trust policy or identity policy written, function code replaced, a role passed to a compute
 *   service the principal can create: the role (its functions' roles) is controlled;
 * - an action whose condition key names a prod resource (ecs:cluster, lambda:SubnetIds / SecurityGroupIds,
 *   cloudwatch:namespace) allowed with prod's value on a staging resource: that prod resource is reached;
 * - a log event in embedded metric format: a metric in any namespace but `AWS/`, so the prod alarms on such metrics;
 * - an image pushed to a repository that prod's task definition names by a mutable tag: prod's task role;
 * - a GitHub Actions token of a branch job: each OIDC role whose trust admits it;
 * - a resource policy a staging principal can write on a staging resource: an outside account admitted.
 */

/** Reads that return secret material (everything else a Read or List returns is metadata, which templates expose too). */
export const SECRET_READS = new Set([
  'secretsmanager:GetSecretValue',
  'secretsmanager:BatchGetSecretValue',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  's3:GetObject',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:GetParametersByPath',
  'lambda:GetFunction',
  'logs:GetLogEvents',
  'logs:FilterLogEvents',
  'logs:StartQuery',
]);

/** Resource policies and grants: whoever may write one may admit any principal, of any account (no condition key says which). */
const RESOURCE_POLICY_WRITE =
  /^(iam:UpdateAssumeRolePolicy|iam:CreateRole|kms:PutKeyPolicy|kms:CreateGrant|secretsmanager:PutResourcePolicy|lambda:AddPermission|sns:AddPermission|sns:SetTopicAttributes|ecr:SetRepositoryPolicy|s3:PutBucketPolicy|events:PutPermission|logs:PutResourcePolicy)$/i;

/** Sign-in actions of federated callers: only the GitHub rule asks them. */
const FEDERATED = /^sts:AssumeRoleWith/i;

export interface Fact {
  readonly key: string;
  readonly text: string;
  readonly parents: Fact[];
  readonly depth: number;
}

/** A prod resource reached, or an outside account admitted, with the chain that gets there. */
export interface Finding {
  readonly resource: WorldResource;
  readonly action: string;
  readonly fact: Fact;
}

export interface SearchResult {
  readonly reaches: Finding[];
  readonly grants: Finding[];
  readonly controlled: string[];
  /** Prod's principals an attacker comes to hold (each also a finding). */
  readonly prodPrincipalsHeld: string[];
  readonly stats: EvaluatorStats & { facts: number; rounds: number; pairs: number; ms: number };
}

export interface SearchOptions {
  /** Rounds (steps of a chain): at least 3. */
  readonly depth: number;
  /** The GitHub branch an attacker pushes (its jobs' tokens carry it). */
  readonly branch?: string;
}

/** The chain of a fact, root first: one line per step. */
export function chainOf(fact: Fact): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  const walk = (f: Fact) => {
    if (seen.has(f.key)) return;
    seen.add(f.key);
    for (const p of f.parents) walk(p);
    lines.push(f.text);
  };
  walk(fact);
  return lines;
}

/** A finding as readable text: the chain, then the prod resource reached. */
export function describe(finding: Finding): string {
  // The principals the chain starts from first (a step may rely on a tag another principal wrote), then the steps.
  const lines = chainOf(finding.fact);
  const facts = new Map<string, Fact>();
  const collect = (f: Fact) => {
    facts.set(f.text, f);
    f.parents.forEach(collect);
  };
  collect(finding.fact);
  const roots = lines.filter((l) => facts.get(l)!.parents.length === 0);
  const steps = lines.filter((l) => facts.get(l)!.parents.length > 0);
  return [...roots, ...steps.map((l, i) => `${'  '.repeat(i + 1)}→ ${l}`)].join('\n');
}

/**
 * The findings as readable text, one block per resource: the shortest chain to it, then the other actions that reach
 * it (at most `max` resources).
 */
export function report(findings: Finding[], max = 60): string {
  const byResource = new Map<string, Finding[]>();
  for (const f of findings) byResource.set(f.resource.arn, [...(byResource.get(f.resource.arn) ?? []), f]);
  const blocks = [...byResource.values()].map((fs) => {
    const sorted = [...fs].sort((a, b) => a.fact.depth - b.fact.depth || a.action.localeCompare(b.action));
    const others = [...new Set(sorted.slice(1).map((f) => `${f.action} (${f.fact.depth} steps)`))];
    return [
      `${sorted[0].resource.label} (${sorted[0].resource.arn}):`,
      describe(sorted[0]),
      ...(others.length ? [`  and ${others.length} more: ${others.slice(0, 10).join(', ')}${others.length > 10 ? ', ...' : ''}`] : []),
    ].join('\n');
  });
  return [...blocks.slice(0, max), ...(blocks.length > max ? [`... and ${blocks.length - max} more resources`] : [])].join('\n\n');
}

const isTagging = (a: CatalogAction) => a.accessLevels.includes('Tagging');
const isUntag = (a: CatalogAction) => /:(Untag|DeleteTags|RemoveTags)/i.test(a.name);
const isReach = (a: CatalogAction) =>
  a.accessLevels.some((l) => l === 'Write' || l === 'Permissions management' || l === 'Tagging') || SECRET_READS.has(a.name);

const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/** Runs the search in a world with an action catalog. */
export async function search(world: World, catalog: ActionCatalog, options: SearchOptions): Promise<SearchResult> {
  const started = Date.now();
  const evaluator = new CachedEvaluator();
  const { region } = world.layout;
  const staging = world.layout.accounts.staging;
  const facts = new Map<string, Fact>();
  const controlled = new Map<string, { principal: Principal; fact: Fact }>();
  /** The tag values a resource can carry, with the fact that makes each possible (undefined: as deployed). */
  const tags = new Map<string, Map<string, Fact | undefined>>();
  const reaches = new Map<string, Finding>();
  const grants = new Map<string, Finding>();
  const byArn = new Map(world.resources.map((r) => [r.arn, r]));
  // Staging's own resources matter only as the probes below use them, and where they lead to a role (see sweep).
  const prodResources = world.resources.filter((r) => r.side === 'prod');
  // Staging's own cluster and service (where the placement probes put staging's compute), and every role one may pass.
  const stagingCluster = world.resources.find((r) => r.side === 'staging' && r.arn.includes(':cluster/'))?.arn;
  const stagingService = world.resources.find((r) => r.side === 'staging' && r.arn.includes(':service/'))?.arn;
  const passableRoles = [...new Map([...world.principals.values(), ...world.start].map((r) => [r.arn, r])).values()].filter((r) =>
    r.arn.includes(':role/'),
  );
  const done = new Set<string>();
  let pairs = 0;

  const addFact = (key: string, text: string, parents: Fact[]): Fact | undefined => {
    if (facts.has(key)) return undefined;
    const fact = { key, text, parents, depth: Math.max(0, ...parents.map((p) => p.depth)) + (parents.length ? 1 : 0) };
    if (fact.depth > options.depth) return undefined; // the search's fixed depth
    facts.set(key, fact);
    return fact;
  };
  /** Prod's principals held: each is a prod resource reached already (the step's action on it); not followed further. */
  const prodHeld = new Map<string, Fact>();
  const control = (principal: Principal, text: string, parents: Fact[], variant = '') => {
    const key = `principal:${principal.arn}${variant}`;
    const fact = addFact(key, text, parents);
    if (!fact) return;
    if (byArn.get(principal.arn)?.side === 'prod') prodHeld.set(key, fact);
    else controlled.set(key, { principal, fact });
  };
  /** The principal (or GitHub job) a chain starts from: findings are kept per resource, action and start. */
  const rootOf = (f: Fact): Fact => (f.parents.length ? rootOf(f.parents[0]) : f);
  const reach = (resource: WorldResource, action: string, text: string, parents: Fact[]) => {
    const key = `reach:${resource.arn}|${action}|${rootOf(parents[0]).key}`;
    const fact = addFact(key, text, parents);
    if (fact) reaches.set(key, { resource, action, fact });
  };
  const grant = (resource: WorldResource, action: string, text: string, parents: Fact[]) => {
    const key = `grant:${resource.arn}|${action}|${rootOf(parents[0]).key}`;
    const fact = addFact(key, text, parents);
    if (fact) grants.set(key, { resource, action, fact });
  };
  const tagValues = (r: WorldResource) => {
    let m = tags.get(r.arn);
    if (!m) tags.set(r.arn, (m = new Map([[r.tag ?? '', undefined]])));
    return m;
  };
  const roleOf = (arn: string) => world.principals.get(arn);

  /** The context IAM sees for an action on a resource carrying a tag value. */
  const contextFor = (a: CatalogAction, tag: string): Record<string, string | string[]> => {
    const ctx: Record<string, string | string[]> = {};
    if (tag) ctx[`aws:ResourceTag/${ENVIRONMENT_TAG}`] = tag;
    if (isTagging(a)) {
      ctx['aws:TagKeys'] = [ENVIRONMENT_TAG];
      if (!isUntag(a)) ctx[`aws:RequestTag/${ENVIRONMENT_TAG}`] = 'staging';
    }
    return ctx;
  };
  const policyFor = (r: WorldResource, a: CatalogAction) =>
    r.runsAs && r.arn.includes(':role/') ? (a.name.startsWith('sts:') ? r.policy : undefined) : r.policy;
  const allowed = (
    p: Principal,
    a: string,
    resource: string,
    resourceAccount: string,
    context?: Record<string, string | string[]>,
    resourcePolicy?: any,
  ) => evaluator.allowed(p, { action: a, resource, resourceAccount, context, resourcePolicy });

  /** A staging-owned resource of an action's resource type, for the probes (`fleapo-staging-probe`). */
  const probe = (a: CatalogAction): string => {
    const format = a.resourceTypes.map((t) => catalog.arnFormat(t)).find(Boolean);
    if (!format) return '*';
    return format.replace(/\$\{(\w+)\}/g, (_m, name: string) => {
      if (name === 'Partition') return 'aws';
      if (name === 'Region') return region;
      if (name === 'Account') return staging;
      if (/Revision|Version/.test(name)) return '1';
      return 'fleapo-staging-probe';
    });
  };

  /** Can `p` start compute that runs as a role passed to `service`? (The proof's model of iam:PassRole.) */
  const launches = async (p: Principal, service: string): Promise<boolean> => {
    const own = (s: string) => `arn:aws:${s}:${region}:${p.account}:`;
    if (service === 'lambda.amazonaws.com')
      return allowed(p, 'lambda:CreateFunction', `${own('lambda')}function:fleapo-staging-probe`, p.account);
    if (service === 'ecs-tasks.amazonaws.com')
      return (
        (await allowed(p, 'ecs:RegisterTaskDefinition', '*', p.account)) &&
        allowed(p, 'ecs:RunTask', `${own('ecs')}task-definition/fleapo-staging-probe:1`, p.account, {
          'ecs:cluster': `${own('ecs')}cluster/fleapo-staging`,
        })
      );
    return allowed(
      p,
      'cloudformation:CreateChangeSet',
      `${own('cloudformation')}stack/Fleapo-staging/0a1b2c3d-0000-0000-0000-000000000000`,
      p.account,
    );
  };

  /** What an allowed action on a resource makes. */
  const onAllowed = async (p: Principal, pf: Fact, a: CatalogAction, r: WorldResource, tag: string, tagFact: Fact | undefined) => {
    const parents = tagFact ? [pf, tagFact] : [pf];
    const on = `[${p.label}] ${a.name} on ${r.label}${tagFact ? ` (now tagged ${ENVIRONMENT_TAG}=${tag || 'none'})` : ''}`;
    if (r.side === 'prod' && isReach(a)) reach(r, a.name, `${on}: PROD RESOURCE REACHED`, parents);
    if (isTagging(a) && /arn:aws:(ec2|kms|secretsmanager|lambda|ecs|iam|logs|sns|events|cloudwatch)/.test(r.arn)) {
      const value = isUntag(a) ? '' : 'staging';
      const m = tagValues(r);
      if (!m.has(value)) {
        const fact = addFact(
          `tag:${r.arn}=${value}`,
          `[${p.label}] ${a.name} on ${r.label}: ${ENVIRONMENT_TAG}=${value || '(removed)'}`,
          parents,
        );
        if (fact) m.set(value, fact);
      }
    }
    const runsAs = (r.runsAs ?? []).map(roleOf).filter((x): x is Principal => Boolean(x));
    if (/^sts:AssumeRole$/i.test(a.name) || /^iam:UpdateAssumeRolePolicy$/i.test(a.name)) {
      for (const role of runsAs) control(role, `${on}: now holds ${role.label}`, parents);
    }
    if (/^iam:(PutRolePolicy|AttachRolePolicy)$/i.test(a.name)) {
      for (const role of runsAs) {
        control(
          { ...role, identity: [...role.identity, ALLOW_ALL], label: `${role.label} with a policy of the attacker's` },
          `${on}: any policy on ${role.label}`,
          parents,
          '#policy',
        );
      }
    }
    if (/^lambda:UpdateFunctionCode$/i.test(a.name)) {
      for (const role of runsAs) control(role, `${on}: the attacker's code runs as ${role.label}`, parents);
    }
    if (/^iam:PassRole$/i.test(a.name)) {
      // Evaluated again per service the role could be passed to (iam:PassedToService).
      for (const service of ['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com', 'cloudformation.amazonaws.com']) {
        if (!(await allowed(p, a.name, r.arn, r.account, { 'iam:PassedToService': service }))) continue;
        if (!(await launches(p, service))) continue;
        for (const role of runsAs)
          control(role, `[${p.label}] iam:PassRole of ${role.label} to ${service}, which runs the attacker's code: now holds it`, parents);
      }
    }
  };

  /** Every catalog action of every (new) controlled principal on every resource, at every tag value it can carry. */
  const sweep = async () => {
    // Staging's resources only where they lead to a principal not held yet (a role, a function's role).
    const held = new Set([...controlled.values()].map((c) => c.principal.arn));
    const targets = [...prodResources, ...world.resources.filter((r) => r.side !== 'prod' && r.runsAs?.some((arn) => !held.has(arn)))];
    for (const [pkey, { principal: p, fact: pf }] of [...controlled]) {
      for (const r of targets) {
        const actions = catalog.actionsOn(r.arn);
        for (const [tag, tagFact] of [...tagValues(r)]) {
          const k = `${pkey}|${r.arn}|${tag}`;
          if (done.has(k)) continue;
          done.add(k);
          for (const a of actions) {
            if (FEDERATED.test(a.name)) continue;
            pairs++;
            const ctx = a.name === 'iam:PassRole' ? { 'iam:PassedToService': 'lambda.amazonaws.com' } : contextFor(a, tag);
            let ok = await allowed(p, a.name, r.arn, r.account, ctx, policyFor(r, a));
            if (!ok && a.name === 'iam:PassRole') ok = await allowed(p, a.name, r.arn, r.account, {}, undefined);
            if (ok) await onAllowed(p, pf, a, r, tag, tagFact);
          }
        }
      }
    }
  };

  /**
   * Lambda creates a VPC function's network interfaces with the function's role (Lambda Developer Guide, "Giving Lambda
   * functions access to resources in an Amazon VPC": the execution role needs ec2:CreateNetworkInterface): a function
   * placed on a prod subnet or security group gets there only if a role `p` may pass to Lambda may create an interface
   * on it. The role that may, if any (every role of the world, and one created under the staging boundary).
   */
  const interfaceRole = async (p: Principal, target: WorldResource): Promise<Principal | undefined> => {
    for (const role of passableRoles) {
      if (!(await allowed(p, 'iam:PassRole', role.arn, role.account, { 'iam:PassedToService': 'lambda.amazonaws.com' }))) continue;
      for (const tag of tagValues(target).keys()) {
        const ctx: Record<string, string> = tag ? { [`aws:ResourceTag/${ENVIRONMENT_TAG}`]: tag } : {};
        if (await allowed(role, 'ec2:CreateNetworkInterface', target.arn, target.account, ctx)) return role;
      }
    }
    return undefined;
  };

  /** Condition keys that name a prod resource: allowed with prod's value on a staging resource of the action. */
  const namingProbes = async () => {
    if (world.layout.accounts.staging !== world.layout.accounts.prod) return; // placement and metrics stay in their account
    const prodByArn = (arn: string) => byArn.get(arn);
    const sgs = world.resources.filter((r) => r.side === 'prod' && r.arn.includes(':security-group/'));
    const subnets = world.resources.filter((r) => r.side === 'prod' && r.arn.includes(':subnet/'));
    const alarms = world.resources.filter((r) => r.side === 'prod' && r.metric && !r.metric.namespace.startsWith('AWS/'));
    const cluster = prodByArn(world.prodPlacement.cluster);
    const idOf = (r: WorldResource) => r.arn.split('/').pop()!;
    const vpcs = world.resources.filter((r) => r.side === 'prod' && r.arn.includes(':vpc/')).map(idOf);
    // A function placed in prod's network names prod's subnets, security groups and VPC in one request.
    const placement = (sg: string[], subnet: string[]) => ({
      'lambda:SecurityGroupIds': sg,
      'lambda:SubnetIds': subnet,
      'lambda:VpcIds': vpcs,
    });
    // A service of staging's own cluster in prod's subnets (awsvpc: ECS creates the interface with its own service-linked
    // role, so only ecs:subnet on CreateService / UpdateService can refuse it; RunTask has no such key).
    const inStagingCluster = (subnet: string[]): Record<string, string | string[]> => ({
      ...(stagingCluster ? { 'ecs:cluster': stagingCluster } : {}),
      'ecs:subnet': subnet,
    });
    const targets: Record<string, { value: string | string[]; resource: WorldResource; with?: Record<string, string | string[]> }[]> = {
      'ecs:subnet': subnets.map((r) => ({ value: [idOf(r)], resource: r, with: inStagingCluster([idOf(r)]) })),
      'ecs:cluster': cluster ? [{ value: cluster.arn, resource: cluster }] : [],
      // (A prod security group on a function in staging's own subnets: the placement the boundary's subnet list allows.)
      'lambda:securitygroupids': sgs.map((r) => ({ value: [idOf(r)], resource: r, with: placement([idOf(r)], world.stagingSubnets) })),
      'lambda:subnetids': subnets.map((r) => ({ value: [idOf(r)], resource: r, with: placement(sgs.map(idOf), [idOf(r)]) })),
      'cloudwatch:namespace': alarms.map((r) => ({ value: r.metric!.namespace, resource: r })),
    };
    for (const [pkey, { principal: p, fact: pf }] of [...controlled]) {
      if (p.account !== staging) continue;
      for (const a of catalog.actions) {
        for (const key of a.conditionKeys) {
          for (const t of targets[key.toLowerCase()] ?? []) {
            const k = `${pkey}|naming|${a.name}|${key}|${t.resource.arn}`;
            if (done.has(k)) continue;
            done.add(k);
            pairs++;
            // A service's placement: on staging's own service (the probe's made-up name is no service a policy names).
            const resource = key.toLowerCase() === 'ecs:subnet' && stagingService ? stagingService : probe(a);
            if (!(await allowed(p, a.name, resource, staging, { ...t.with, [key]: t.value }))) continue;
            const lambdaKey = key.toLowerCase().startsWith('lambda:');
            const via = lambdaKey ? await interfaceRole(p, t.resource) : undefined;
            if (!lambdaKey || via) {
              reach(
                t.resource,
                `${a.name} [${key}]`,
                `[${p.label}] ${a.name} on ${resource} with ${key}=${[t.value].flat().join(',')} (${t.resource.label})` +
                  `${via ? `, its interface created by ${via.label}` : ''}: PROD RESOURCE REACHED`,
                [pf],
              );
            }
          }
        }
      }
    }
  };

  /**
   * ECS placement with no condition key: RunTask and StartTask take no subnet or security-group key, and CreateService /
   * UpdateService no security-group key; ECS creates the interface with its service-linked role. So whoever may run a
   * task at all (in staging's cluster) may place it on any prod subnet and security group, and whoever may change
   * staging's service in staging's subnets may give it any security group of the same VPC.
   */
  const unkeyedPlacement = async () => {
    if (world.layout.accounts.staging !== world.layout.accounts.prod) return;
    if (!stagingCluster) return;
    const placed = world.resources.filter((r) => r.side === 'prod' && /:(subnet|security-group)\//.test(r.arn));
    const groups = placed.filter((r) => r.arn.includes(':security-group/'));
    const taskDefinition = `arn:aws:ecs:${region}:${staging}:task-definition/fleapo-staging-probe:1`;
    for (const [pkey, { principal: p, fact: pf }] of [...controlled]) {
      if (p.account !== staging) continue;
      const k = `${pkey}|unkeyed-placement`;
      if (done.has(k)) continue;
      done.add(k);
      for (const action of ['ecs:RunTask', 'ecs:StartTask']) {
        pairs++;
        if (!(await allowed(p, action, taskDefinition, staging, { 'ecs:cluster': stagingCluster }))) continue;
        for (const r of placed) {
          reach(
            r,
            `${action} [no placement key]`,
            `[${p.label}] ${action} of a staging task definition in ${stagingCluster.split('/').pop()}, placed on ${r.label} (RunTask and StartTask name no subnet or security group to IAM): PROD RESOURCE REACHED`,
            [pf],
          );
        }
      }
      if (!stagingService || world.vpcs.staging !== world.vpcs.prod) continue;
      for (const action of ['ecs:CreateService', 'ecs:UpdateService']) {
        pairs++;
        const ctx = { 'ecs:cluster': stagingCluster, 'ecs:subnet': world.stagingSubnets };
        if (!(await allowed(p, action, stagingService, staging, ctx))) continue;
        for (const r of groups) {
          reach(
            r,
            `${action} [no security-group key]`,
            `[${p.label}] ${action} of ${stagingService.split('/').pop()} in staging's subnets of the VPC prod shares, with ${r.label} (no key names a service's security groups): PROD RESOURCE REACHED`,
            [pf],
          );
        }
      }
    }
  };

  /** Embedded metric format: a log line becomes a metric of any namespace but AWS/ (no IAM action names the namespace). */
  const metricsByLogs = async () => {
    const alarms = world.resources.filter((r) => r.side === 'prod' && r.metric && !r.metric.namespace.startsWith('AWS/'));
    const groups = world.stagingOwned.filter((r) => r.arn.includes(':log-group:')).map((r) => r.arn.replace(/:\*$/, ''));
    for (const [pkey, { principal: p, fact: pf }] of [...controlled]) {
      if (p.account !== staging) continue;
      for (const group of groups) {
        const k = `${pkey}|emf|${group}`;
        if (done.has(k)) continue;
        done.add(k);
        pairs++;
        if (!(await allowed(p, 'logs:PutLogEvents', `${group}:log-stream:emf`, staging))) continue;
        for (const alarm of alarms) {
          if (alarm.account !== p.account) continue;
          const m = alarm.metric!;
          const dims = Object.entries(m.dimensions)
            .map(([n, v]) => `${n}=${v}`)
            .join(',');
          reach(
            alarm,
            'logs:PutLogEvents [embedded metric format]',
            `[${p.label}] logs:PutLogEvents on ${group.split(':log-group:')[1]} with an EMF line: metric ${m.namespace}/${m.name} {${dims}} moves ${alarm.label}: PROD RESOURCE REACHED`,
            [pf],
          );
        }
      }
    }
  };

  /** A mutable image tag: whoever can push to the repository runs code as the task definition's roles. */
  const imagePushes = async () => {
    const taskDefs = world.resources.filter((r) => r.side === 'prod' && r.images?.length);
    for (const [pkey, { principal: p, fact: pf }] of [...controlled]) {
      for (const td of taskDefs) {
        for (const image of td.images!.filter(isMutableImage)) {
          const repo = imageRepository(image);
          if (!repo) continue;
          const k = `${pkey}|push|${repo}`;
          if (done.has(k)) continue;
          done.add(k);
          pairs++;
          if (!(await allowed(p, 'ecr:PutImage', repo, repo.split(':')[4]))) continue;
          const text = `[${p.label}] ecr:PutImage on ${repo.split('/').pop()}: overwrites the mutable tag ${image.split('/').pop()} that ${td.label} runs`;
          reach(td, 'ecr:PutImage [mutable tag]', `${text}: PROD RESOURCE REACHED`, [pf]);
          for (const role of (td.runsAs ?? []).map(roleOf).filter((x): x is Principal => Boolean(x)))
            control(role, `${text}: the attacker's image runs as ${role.label}`, [pf]);
        }
      }
    }
  };

  /** Resource policies staging can write on its own resources: any of them may name an outside account. */
  const outsideGrants = async () => {
    for (const [pkey, { principal: p, fact: pf }] of [...controlled]) {
      if (p.account !== staging) continue;
      const probes: [WorldResource, CatalogAction][] = [];
      for (const r of world.stagingOwned)
        for (const a of catalog.actionsOn(r.arn))
          if (RESOURCE_POLICY_WRITE.test(a.name) && a.name !== 'iam:CreateRole') probes.push([r, a]);
      const createRole = catalog.action('iam:CreateRole');
      const roleProbe: WorldResource = {
        arn: `arn:aws:iam::${staging}:role/fleapo-staging-probe`,
        account: staging,
        label: 'a new role fleapo-staging-probe',
        side: 'staging',
      };
      if (createRole) probes.push([roleProbe, createRole]);
      for (const [r, a] of probes) {
        const k = `${pkey}|grant|${r.arn}|${a.name}`;
        if (done.has(k)) continue;
        done.add(k);
        pairs++;
        const ctx: Record<string, string | string[]> =
          a.name === 'iam:CreateRole'
            ? { 'iam:PermissionsBoundary': `arn:aws:iam::${staging}:policy/fleapo-staging-boundary` }
            : r.tag
              ? { [`aws:ResourceTag/${ENVIRONMENT_TAG}`]: r.tag }
              : {};
        if (await allowed(p, a.name, r.arn, r.account, ctx, a.name.startsWith('kms:') ? r.policy : undefined)) {
          grant(
            r,
            a.name,
            `[${p.label}] ${a.name} on ${r.label}: a policy that names an outside account (no condition key limits the principals a policy names)`,
            [pf],
          );
        }
      }
    }
  };

  /** GitHub Actions: a job of an attacker's branch gets a token for each environment the repository lets it use. */
  const githubJobs = async () => {
    const branch = options.branch ?? 'attacker-branch';
    const root: Fact = addFact(
      'github:branch',
      `a GitHub Actions job of branch ${branch} (which environments a branch may use is a GitHub setting: assumed any, prod with a reviewer's approval)`,
      [],
    )!;
    for (const w of world.webIdentityRoles) {
      const role = roleOf(w.roleArn);
      if (!role) continue;
      const subs = [w.trust.Statement]
        .flat()
        .flatMap((s: any) =>
          Object.values(s.Condition ?? {}).flatMap((c: any) => [c['token.actions.githubusercontent.com:sub'] ?? []].flat()),
        )
        .map((sub: string) => sub.replace(/refs\/heads\/[^:@*]+/g, `refs/heads/${branch}`).replace(/\*/g, branch));
      for (const sub of [...new Set(subs)]) {
        const environment = /:environment:([^:]+)/.exec(sub)?.[1];
        const claims: Record<string, string> = {
          'token.actions.githubusercontent.com:sub': sub,
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
          'token.actions.githubusercontent.com:ref': `refs/heads/${branch}`,
          'token.actions.githubusercontent.com:repository': world.layout.repository,
          'token.actions.githubusercontent.com:job_workflow_ref': `${world.layout.repository}/.github/workflows/attacker.yml@refs/heads/${branch}`,
          ...(environment ? { 'token.actions.githubusercontent.com:environment': environment } : {}),
        };
        pairs++;
        evaluator.stats.simulated++;
        const decision = await evaluate({
          principal: w.providerArn,
          action: 'sts:AssumeRoleWithWebIdentity',
          resource: w.roleArn,
          resourceAccount: role.account,
          resourcePolicy: w.trust,
          context: claims,
        });
        if (decision !== 'Allowed') continue;
        const text = `sts:AssumeRoleWithWebIdentity with sub ${sub}: now holds ${role.label}`;
        control(role, text, [root]);
        const r = byArn.get(w.roleArn);
        if (r?.side === 'prod') reach(r, 'sts:AssumeRoleWithWebIdentity', `${text}: PROD RESOURCE REACHED`, [root]);
      }
    }
  };

  for (const p of world.start) control(p, `staging holds: ${p.label}`, []);
  let rounds = 0;
  for (let round = 1; round <= options.depth; round++) {
    rounds = round;
    const before = facts.size;
    if (round === 1) await githubJobs();
    await sweep();
    await namingProbes();
    await unkeyedPlacement();
    await metricsByLogs();
    await imagePushes();
    await outsideGrants();
    if (facts.size === before) break; // a fixed point: nothing new to follow
  }
  return {
    reaches: [...reaches.values()],
    grants: [...grants.values()],
    controlled: [...controlled.values()].map((c) => c.principal.label),
    prodPrincipalsHeld: [...prodHeld.keys()],
    stats: { ...evaluator.stats, facts: facts.size, rounds, pairs, ms: Date.now() - started },
  };
}
