import * as fs from 'fs';
import * as path from 'path';
import { loadCatalog, type ActionCatalog } from '../support/isolation/catalog';
import { accountPerEnvironment, sharedAccount, type SynthesizedLayout } from '../support/isolation/layouts';
import { chainOf, report, search, type Finding, type SearchResult } from '../support/isolation/search';
import { servicesOf } from '../support/isolation/services';
import { buildWorld, type World, type WorldOverrides } from '../support/isolation/world';

/**
 * The isolation proof that searches (docs/security-model.md): from every principal an attacker holding staging holds,
 * every action of the evaluator's catalog for every service the stacks use, on every prod resource (the prod template's
 * and those outside it), following what each allowed action changes (tags, trust, policies, passed roles, code, images,
 * metrics) to a fixed depth. No chain may reach prod. The positive controls run the same search on the documents as they
 * were before the fixes of issue 16 (test/infra/fixtures/isolation-pre-fix.json) and require each finding's chain.
 */

const DEPTH = 3;
const PRE_FIX: WorldOverrides = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'isolation-pre-fix.json'), 'utf8'));

interface Run {
  readonly world: World;
  readonly catalog: ActionCatalog;
  readonly result: SearchResult;
}

async function run(s: SynthesizedLayout, overrides?: WorldOverrides): Promise<Run> {
  const world = buildWorld(s.templates, s.layout, s.facts, overrides);
  const catalog = await loadCatalog(servicesOf(world));
  const result = await search(world, catalog, { depth: DEPTH });
  const st = result.stats;
  console.log(
    `isolation search, ${s.layout.name}${overrides ? ' (pre-fix documents)' : ''}: ${world.start.length} start principals, ` +
      `${world.resources.filter((r) => r.side === 'prod').length} prod resources, ${catalog.actions.length} catalog actions of ` +
      `${catalog.services.length} services; ${st.facts} facts in ${st.rounds} rounds (depth ${DEPTH}), ${st.pairs} requests, ` +
      `${st.skipped} ruled out without the evaluator, ${st.simulated} evaluated, ${st.cached} from cache, ${st.ms} ms`,
  );
  return { world, catalog, result };
}

/** Staging's CloudFormation execution role: it creates the stack's resource policies, so it may write them (reviewed in the template). */
const isExecutionRole = (f: Finding) => chainOf(f.fact)[0].includes('CDK bootstrap cfn-exec role') && f.fact.depth === 1;

describe.each([
  ['one shared account', sharedAccount],
  ['an account per environment', accountPerEnvironment],
])('in %s', (_name, layout) => {
  let r: Run;
  beforeAll(async () => {
    r = await run(layout());
  }, 600_000);

  test('the search sees every prod resource and starts from every staging-side principal', () => {
    const prod = r.world.resources.filter((x) => x.side === 'prod');
    expect(prod.length).toBeGreaterThan(60);
    const invisible = prod.filter((x) => r.catalog.actionsOn(x.arn).length === 0).map((x) => `${x.label} (${x.arn})`);
    expect(invisible).toEqual([]);
    const labels = r.world.start.map((p) => p.label);
    for (const expected of [
      'role gha-deploy-staging',
      'staging CDK bootstrap deploy role',
      'staging CDK bootstrap cfn-exec role',
      'staging role fleapo-staging-ecs-task',
      'staging role fleapo-staging-ecs-execution',
      'staging role fleapo-staging-database-url-rotation',
      'a role created under the staging boundary (any identity policy)',
    ]) {
      expect(labels).toContain(expected);
    }
    expect(r.catalog.services).toEqual(expect.arrayContaining(['ec2', 'ecs', 'iam', 'kms', 'lambda', 'logs', 'secretsmanager', 'sts']));
    expect(r.result.stats.simulated).toBeGreaterThan(100);
  });

  test(`no chain of at most ${DEPTH} steps from staging reaches a prod resource`, () => {
    const reaches = r.result.reaches;
    expect(`${reaches.length} (resource, action) pairs of prod reached:\n${report(reaches)}`).toBe(
      '0 (resource, action) pairs of prod reached:\n',
    );
  });

  test('no staging principal but its CloudFormation execution role can write a policy that admits an outside account', () => {
    const grants = r.result.grants.filter((g) => !isExecutionRole(g));
    expect(`${grants.length} policy writes:\n${report(grants)}`).toBe('0 policy writes:\n');
  });
});

describe('positive controls: the search finds each finding of issue 16 in the pre-fix documents (one shared account)', () => {
  let r: Run;
  beforeAll(async () => {
    r = await run(sharedAccount(), PRE_FIX);
  }, 600_000);

  /** The findings whose resource and action match, as chains (for the failure message). */
  const chains = (resource: RegExp, action: RegExp, chain: RegExp = /./, from: Finding[] = r.result.reaches) =>
    from.filter(
      (f) => resource.test(`${f.resource.label} ${f.resource.arn}`) && action.test(f.action) && chain.test(chainOf(f.fact).join('\n')),
    );

  test("1. re-tag prod's security groups, endpoints and untagged keys as staging, then own them", () => {
    const retagged = /fleapo:environment=staging\n/;
    expect(chains(/database security group/, /^ec2:AuthorizeSecurityGroupIngress$/, retagged)).not.toEqual([]);
    expect(chains(/:vpc-endpoint\//, /^ec2:(DeleteVpcEndpoints|ModifyVpcEndpoint)$/, retagged)).not.toEqual([]);
    expect(chains(/RDS storage key \(untagged\)/, /^kms:ScheduleKeyDeletion$/, retagged)).not.toEqual([]);
    expect(chains(/RDS master secret key/, /^kms:Decrypt$/, retagged)).not.toEqual([]);
  });

  test("2. run a staging task definition in prod's cluster", () => {
    expect(chains(/ECS cluster fleapo-prod/, /^ecs:RunTask \[ecs:cluster\]$/)).not.toEqual([]);
  });

  test('3. any principal of the account allowed sts:AssumeRole assumes the prod bootstrap deploy role', () => {
    expect(
      chains(/prod CDK bootstrap deploy role/, /^sts:AssumeRole$/, /^staging holds: any other principal of staging's account/),
    ).not.toEqual([]);
  });

  test('4. a job of any branch that may use the prod GitHub environment assumes gha-deploy-prod', () => {
    expect(chains(/role gha-deploy-prod/, /^sts:AssumeRoleWithWebIdentity$/, /^a GitHub Actions job of branch/)).not.toEqual([]);
  });

  test("5. EMF metrics move prod's alarms; a staging role writes a policy naming an outside account; prod runs a mutable tag", () => {
    expect(chains(/alarm/, /embedded metric format/, /^staging holds: staging role fleapo-staging-/)).not.toEqual([]);
    const outside = r.result.grants.filter((g) => !isExecutionRole(g));
    expect(outside.filter((g) => /^(iam:UpdateAssumeRolePolicy|secretsmanager:PutResourcePolicy)$/.test(g.action))).not.toEqual([]);
    expect(chains(/ECS::TaskDefinition/, /^ecr:PutImage \[mutable tag\]$/)).not.toEqual([]);
  });

  test("6. place staging compute in prod's network: a staging service on prod's subnets, a staging function on prod's security groups", () => {
    expect(chains(/:subnet\//, /^ecs:(Create|Update)Service \[ecs:subnet\]$/, /staging role|staging boundary|cfn-exec/)).not.toEqual([]);
    expect(chains(/:security-group\//, /^lambda:CreateFunction \[lambda:SecurityGroupIds\]$/, /its interface created by/)).not.toEqual([]);
    // RunTask names no subnet or security group to IAM: a task staging may run at all may run on prod's network.
    expect(chains(/:security-group\//, /^ecs:RunTask \[no placement key\]$/)).not.toEqual([]);
  });
});

describe("positive control: with one VPC for both environments (the configuration refuses it), staging's service carries prod's security groups", () => {
  test('the search finds UpdateService of staging service with a prod security group', async () => {
    const s = sharedAccount();
    const shared = { ...s, facts: { ...s.facts, staging: { ...s.facts.staging, vpcId: s.facts.prod.vpcId } } };
    const { result } = await run(shared);
    const found = result.reaches.filter(
      (f) => /:security-group\//.test(f.resource.arn) && /^ecs:(Create|Update)Service \[no security-group key\]$/.test(f.action),
    );
    expect(found).not.toEqual([]);
    // Nothing else: the same templates in their own VPCs reach nothing (above).
    expect(result.reaches.filter((f) => !found.includes(f))).toEqual([]);
  }, 600_000);
});
