import { EXAMPLE_CONFIG } from '../../lib/config/example-config';
import type { EnvironmentConfig, FleapoConfig } from '../../lib/config/environment-config';
import { resourceNames } from '../../lib/config/resource-names';
import { validateConfig } from '../../lib/config/validate-config';
import { EnvironmentNames } from '../../lib/constructs/environment-deploy-policies';
import { fleapoBootstrapTemplate, type CfnTemplate } from '../../scripts/bootstrap-template';
import { physicalArns, resolveIntrinsics } from './resolve-arns';
import { resourcesOfType, synthesizeApp, type Template } from './synthesized-app';
import { accountPerEnvironmentConfig } from '../support/isolation/layouts';

/**
 * One naming authority (lib/config/resource-names.ts), proved on the synthesized app: every physical name the
 * environment's stack, its bootstrap and its account stack create is covered by one of the environment's own policy
 * patterns (EnvironmentNames, and the Allow statements of the synthesized execution policy for what the stack
 * deploys) and by none of another environment's; and every name pattern the policies grant on is the name of
 * something created.
 */

const REGION = 'us-east-1';

interface Layout {
  readonly name: string;
  readonly config: () => FleapoConfig;
  readonly templates: () => Record<string, Template>;
}

const LAYOUTS: Layout[] = [
  { name: 'one shared account', config: () => validateConfig(EXAMPLE_CONFIG), templates: () => synthesizeApp() },
  {
    name: 'an account per environment',
    config: accountPerEnvironmentConfig,
    templates: () => synthesizeApp({ config: accountPerEnvironmentConfig() }),
  },
];

/** One name a template or the bootstrap creates, as the ARN IAM authorizes it under. */
interface Created {
  readonly arn: string;
  /** Where it comes from, for the failure message. */
  readonly from: string;
}

/**
 * Resource properties that hold a physical name. A resource of another type carrying one of them must be handled
 * below or listed in {@link NOT_A_NAME}: a new kind of named resource cannot slip past the test.
 */
const NAME_PROPERTIES = [
  'FunctionName',
  'RoleName',
  'Name',
  'AlarmName',
  'RuleName',
  'LogGroupName',
  'AliasName',
  'TopicName',
  'Family',
  'ServiceName',
  'ManagedPolicyName',
  'BucketName',
  'RepositoryName',
];

/** Name-like properties that are no name of a resource created here, with the reason. */
const NOT_A_NAME: Record<string, string> = {
  'AWS::Lambda::Permission FunctionName': 'the function the permission is for (a reference to a function checked as such)',
  'AWS::EC2::VPCEndpoint ServiceName': 'the AWS service an interface endpoint reaches (com.amazonaws.<region>.<service>)',
};

/** The ARN of each named resource of `template` (resolved as deployed at `account`). */
function createdNames(template: Template, account: string, from: string): Created[] {
  const where = { account, region: REGION };
  const resolve = (v: unknown): string => {
    const value: unknown = resolveIntrinsics(v, physicalArns(template, where), where);
    if (typeof value !== 'string') throw new Error(`${from}: a name that is not a string: ${JSON.stringify(v)}`);
    return value;
  };
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${account}:${resource}`;
  const out: Created[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    const add = (value: string) => out.push({ arn: value, from: `${from} ${id} (${r.Type})` });
    switch (r.Type) {
      case 'AWS::Lambda::Function':
        add(arn('lambda', `function:${resolve(p.FunctionName)}`));
        // Its code, in the bootstrap's assets bucket.
        if (p.Code?.S3Bucket) add(`arn:aws:s3:::${resolve(p.Code.S3Bucket)}/${resolve(p.Code.S3Key)}`);
        break;
      case 'AWS::IAM::Role':
        add(`arn:aws:iam::${account}:role/${resolve(p.RoleName)}`);
        break;
      case 'AWS::IAM::ManagedPolicy':
        add(`arn:aws:iam::${account}:policy/${resolve(p.ManagedPolicyName)}`);
        break;
      case 'AWS::Events::Rule':
        add(arn('events', `rule/${resolve(p.Name)}`));
        break;
      case 'AWS::CloudWatch::Alarm':
        add(arn('cloudwatch', `alarm:${resolve(p.AlarmName)}`));
        break;
      case 'AWS::CloudWatch::InsightRule':
        add(arn('cloudwatch', `insight-rule/${resolve(p.RuleName)}`));
        break;
      case 'AWS::Logs::LogGroup':
        add(arn('logs', `log-group:${resolve(p.LogGroupName)}`));
        break;
      case 'AWS::KMS::Alias':
        add(arn('kms', resolve(p.AliasName)));
        break;
      case 'AWS::SecretsManager::Secret':
        add(arn('secretsmanager', `secret:${resolve(p.Name)}-AbCdEf`));
        break;
      case 'AWS::SNS::Topic':
        add(arn('sns', resolve(p.TopicName)));
        break;
      case 'AWS::ECS::TaskDefinition':
        add(arn('ecs', `task-definition/${resolve(p.Family)}:1`));
        break;
      case 'AWS::ECS::Service':
        add(arn('ecs', `service/${resolve(p.Cluster)}/${resolve(p.ServiceName)}`));
        // The cluster is configured, not created: the service names it.
        out.push({ arn: arn('ecs', `cluster/${resolve(p.Cluster)}`), from: `the configured cluster of ${from} ${id}` });
        break;
      case 'AWS::S3::Bucket':
        add(`arn:aws:s3:::${resolve(p.BucketName)}`);
        break;
      case 'AWS::ECR::Repository':
        add(arn('ecr', `repository/${resolve(p.RepositoryName)}`));
        break;
      case 'AWS::SSM::Parameter':
        add(arn('ssm', `parameter${resolve(p.Name)}`));
        break;
      default:
        for (const key of NAME_PROPERTIES.filter((k) => k in p)) {
          if (!NOT_A_NAME[`${r.Type} ${key}`]) throw new Error(`${from} ${id}: ${r.Type} has a ${key} this test does not check`);
        }
    }
  }
  return out;
}

/**
 * The bootstrap template as CloudFormation would resolve it for `env` (its qualifier, account and region, the default
 * bucket and repository names of docs/bootstrap-and-first-deploy.md), reduced to the resources that carry a name.
 */
function bootstrapAsDeployed(config: FleapoConfig, env: EnvironmentConfig): Template {
  const raw: CfnTemplate = fleapoBootstrapTemplate(config);
  const vars: Record<string, string> = {
    Qualifier: env.cdkBootstrapQualifier,
    'AWS::AccountId': env.account,
    'AWS::Region': env.region,
    'AWS::Partition': 'aws',
  };
  const resolve = (v: any): any => {
    if (typeof v === 'string' || v === null || typeof v !== 'object') return v;
    if ('Fn::Sub' in v && typeof v['Fn::Sub'] === 'string') {
      return v['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_m: string, name: string) => {
        if (!(name in vars)) throw new Error(`bootstrap: unknown variable ${name}`);
        return vars[name];
      });
    }
    // The custom bucket and repository names are not given: the default names.
    if ('Fn::If' in v && String(v['Fn::If'][0]).startsWith('HasCustom')) return resolve(v['Fn::If'][2]);
    return v;
  };
  const resources: Template['Resources'] = {};
  for (const [id, r] of Object.entries(raw.Resources as Template['Resources'])) {
    const p = r.Properties ?? {};
    const named = NAME_PROPERTIES.filter((k) => k in p).concat(r.Type === 'AWS::SSM::Parameter' ? ['Name'] : []);
    if (!['AWS::IAM::Role', 'AWS::S3::Bucket', 'AWS::ECR::Repository', 'AWS::SSM::Parameter'].includes(r.Type)) continue;
    resources[id] = { Type: r.Type, Properties: Object.fromEntries(named.map((k) => [k, resolve(p[k])])) };
  }
  return { Resources: resources };
}

/** IAM's ARN matching: `*` any run of characters, `?` any one. */
function matches(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}

/** A pattern of another environment as the deny statements write it: any region and account. */
const anywhere = (arn: string) => arn.replace(/^(arn:[^:]+:[^:]+):[^:]*:\d{12}:/, '$1:*:*:').replace(/^(arn:[^:]+:iam)::\d{12}:/, '$1::*:');

/** The environment-scoped resource patterns of an Allow statement's resources (not `*`, keys by tag, EC2 ids, ...). */
function environmentScoped(names: EnvironmentNames, resource: string): boolean {
  const env = names.env;
  const marks = [
    `fleapo-${env.name}-`,
    `fleapo/${env.name}/`,
    `${env.secretPrefix}/`,
    `cdk-${env.cdkBootstrapQualifier}-`,
    `/cdk-bootstrap/${env.cdkBootstrapQualifier}/`,
    `stack/${names.names.stackId}/`,
    `/${env.service.clusterName}/`,
    `cluster/${env.service.clusterName}`,
  ];
  return marks.some((mark) => resource.includes(mark));
}

/**
 * Environment-scoped patterns the policies grant on that no resource of the stack or its bootstrap is named by, each
 * with its reason.
 */
function deliberateExceptions(env: EnvironmentConfig): Record<string, string> {
  const ecs = (r: string) => `arn:aws:ecs:${env.region}:${env.account}:${r}`;
  return {
    [ecs(`task/${env.service.clusterName}/*`)]: "the service's tasks: ECS creates them at run time (random ids)",
    [ecs(`container-instance/${env.service.clusterName}/*`)]: "the cluster's container instances: ECS's, not the stack's",
  };
}

/** The resolved Allow statements of the environment's deploy policy `policyName` in its account stack. */
function allowStatements(templates: Record<string, Template>, env: EnvironmentConfig, policyName: string): any[] {
  const oidc = templates[`FleapoGithubOidc-${env.account}`];
  const where = { account: env.account, region: env.region };
  const policy = Object.values(resourcesOfType(oidc, 'AWS::IAM::ManagedPolicy')).find((r) => r.Properties.ManagedPolicyName === policyName);
  if (!policy) throw new Error(`no managed policy ${policyName}`);
  const document = resolveIntrinsics(policy.Properties.PolicyDocument, physicalArns(oidc, where), where);
  return (document.Statement as any[]).filter((s) => s.Effect === 'Allow');
}
const resourcesOf = (statement: any): string[] => [statement.Resource ?? []].flat();

/** What the naming check finds wrong with `created` for the environment `names` among `all` environments. */
function namingProblems(created: Created[], names: EnvironmentNames, all: EnvironmentNames[], executionAllows: any[]): string[] {
  // (The bootstrap's version parameter is granted by the boundary only, and not denied to the others by name: their
  // boundaries allow only their own.)
  const own = [...names.everything, names.cluster, names.bootstrapVersionParameter];
  const others = all.filter((o) => o.name !== names.name).flatMap((o) => [...o.everything, o.cluster].map(anywhere));
  // (Statements on `*` are actions without resource-level permissions or limited by conditions: no grant on a name.)
  const granted = executionAllows.flatMap(resourcesOf).filter((r) => r !== '*');
  const problems: string[] = [];
  for (const c of created) {
    if (!own.some((p) => matches(p, c.arn))) problems.push(`${c.arn} (${c.from}): matches none of ${names.name}'s patterns`);
    const theirs = others.find((p) => matches(p, c.arn));
    if (theirs) problems.push(`${c.arn} (${c.from}): matches another environment's pattern ${theirs}`);
    if (c.from.startsWith(names.names.stackId) && !granted.some((p) => matches(p, c.arn))) {
      problems.push(`${c.arn} (${c.from}): the execution policy grants nothing on it`);
    }
  }
  return problems;
}

describe.each(LAYOUTS)('names, in $name', (layout) => {
  let config: FleapoConfig;
  let templates: Record<string, Template>;
  let all: EnvironmentNames[];

  beforeAll(() => {
    config = layout.config();
    templates = layout.templates();
    all = config.environments.map((env) => new EnvironmentNames('aws', env));
  });

  /** Everything created for `env`: its stack, its deploy policies in the account stack, its bootstrap and its stack. */
  function createdFor(env: EnvironmentConfig): Created[] {
    const names = resourceNames(env);
    const oidc = `FleapoGithubOidc-${env.account}`;
    const ownPolicies = (templates[oidc].Resources as Template['Resources']) ?? {};
    const policies: Template = {
      Resources: Object.fromEntries(
        Object.entries(ownPolicies).filter(
          ([id, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && id.startsWith(`DeployPolicies${env.name.replace(/[^A-Za-z0-9]/g, '')}`),
        ),
      ),
    };
    return [
      ...createdNames(templates[names.stackId], env.account, names.stackId),
      ...createdNames(policies, env.account, oidc),
      ...createdNames(bootstrapAsDeployed(config, env), env.account, 'bootstrap'),
      {
        arn: `arn:aws:cloudformation:${env.region}:${env.account}:stack/${names.stackId}/0f1e2d3c-0000-4000-8000-000000000000`,
        from: 'stack',
      },
    ];
  }

  it.each(['staging', 'prod'])(
    'every name %s creates is one of its own patterns, granted by its execution policy, and none of another',
    (name) => {
      const env = config.environments.find((e) => e.name === name)!;
      const names = all.find((n) => n.name === name)!;
      const created = createdFor(env);
      // The stack's functions, roles, rules, alarms, insight rules, log groups, aliases, secrets, topic, service, family.
      const stackTypes = new Set(created.filter((c) => c.from.startsWith(names.names.stackId)).map((c) => c.arn.split(':')[2]));
      expect([...stackTypes].sort()).toEqual([
        'cloudwatch',
        'ecs',
        'events',
        'iam',
        'kms',
        'lambda',
        'logs',
        's3',
        'secretsmanager',
        'sns',
      ]);
      expect(created.length).toBeGreaterThan(50);
      expect(namingProblems(created, names, all, allowStatements(templates, env, names.names.executionPolicy))).toEqual([]);
    },
  );

  it.each(['staging', 'prod'])('every environment-scoped pattern the %s policies grant on names something created', (name) => {
    const env = config.environments.find((e) => e.name === name)!;
    const names = all.find((n) => n.name === name)!;
    const created = createdFor(env);
    const granted = [names.names.executionPolicy, names.names.boundaryPolicy].flatMap((policy) =>
      allowStatements(templates, env, policy).flatMap(resourcesOf),
    );
    const patterns = [...new Set([...names.everything, names.cluster, ...granted.filter((r) => environmentScoped(names, r))])];
    const exceptions = deliberateExceptions(env);
    const unmatched = patterns.filter((p) => !exceptions[p] && !created.some((c) => matches(p, c.arn)));
    expect(unmatched).toEqual([]);
    // The exceptions are granted indeed (else they are stale).
    for (const exception of Object.keys(exceptions)) expect(granted).toContain(exception);
  });

  it('fails a function, role or alarm named outside the environment, or with another environment’s name', () => {
    const env = config.environments.find((e) => e.name === 'prod')!;
    const names = all.find((n) => n.name === 'prod')!;
    const stackId = names.names.stackId;
    const template: Template = JSON.parse(JSON.stringify(templates[stackId]));
    const [fnId] = Object.keys(resourcesOfType(template, 'AWS::Lambda::Function'));
    const [alarmId] = Object.keys(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));
    const [roleId] = Object.keys(resourcesOfType(template, 'AWS::IAM::Role'));
    template.Resources[fnId].Properties.FunctionName = 'fleapoprod-auth-secret-rotation';
    template.Resources[alarmId].Properties.AlarmName = 'fleapo-staging-rotation-rollout-not-recorded';
    template.Resources[roleId].Properties.RoleName = 'fleapo-prod-staging-x';
    const problems = namingProblems(
      createdNames(template, env.account, stackId),
      names,
      all,
      allowStatements(templates, env, names.names.executionPolicy),
    );
    expect(problems.find((p) => p.includes(':function:fleapoprod-auth-secret-rotation'))).toMatch(/matches none of prod's patterns/);
    expect(problems.filter((p) => p.includes(':alarm:fleapo-staging-rotation-rollout-not-recorded'))).toEqual([
      expect.stringMatching(/matches none of prod's patterns/),
      expect.stringMatching(/matches another environment's pattern/),
      expect.stringMatching(/the execution policy grants nothing on it/),
    ]);
    // A role of prod whose name starts like staging's does not count as staging's.
    expect(problems.filter((p) => p.includes('role/fleapo-prod-staging-x'))).toEqual([]);
  });
});
