import { EXAMPLE_CONFIG } from '../../lib/config/example-config';
import { logicalIdOf, resolveIntrinsics } from './resolve-arns';
import { resourcesOfType, synthesizeApp, type Template } from './synthesized-app';

/*
 * `network.createInterfaceEndpoints` must never cut off anything that could reach the Secrets Manager or ECS API
 * before: not the app's tasks (the ECS agent fetches `secrets` through the task's network interface at start) and
 * not any other workload of the VPC. A small model of where a workload's HTTPS request to an API goes, read from the
 * synthesized template: an interface endpoint with private DNS captures every request of the VPC to that API, and
 * then only what its security groups admit gets through; without private DNS the VPC's resolution is unchanged.
 */
const WHERE = { account: '111111111111', region: 'us-east-1' };
const SERVICES = ['secretsmanager', 'ecs'] as const;
type Api = (typeof SERVICES)[number];
/** A workload of the VPC: one with the given security groups, or one with none of the app's (anything else in the VPC). */
type Workload = { name: string; securityGroupIds: unknown[] };
type Reach = 'unchanged' | 'admitted' | 'cut off';

let templates: Record<string, Template>;
beforeAll(() => {
  templates = synthesizeApp();
});

const endpointsOf = (template: Template, api: Api) =>
  Object.entries(resourcesOfType(template, 'AWS::EC2::VPCEndpoint')).filter(
    ([, r]) => resolveIntrinsics(r.Properties.ServiceName, {}, WHERE) === `com.amazonaws.${WHERE.region}.${api}`,
  );

/** Ingress rules of a security group (by logical id): inline and standalone. */
function ingressOf(template: Template, sgLogicalId: string): any[] {
  const inline = template.Resources[sgLogicalId].Properties.SecurityGroupIngress ?? [];
  const standalone = Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress'))
    .map((r) => r.Properties)
    .filter((p) => p.GroupId?.['Fn::GetAtt']?.[0] === sgLogicalId);
  return [...inline, ...standalone];
}

const coversHttps = (rule: any) => rule.IpProtocol === '-1' || (rule.IpProtocol === 'tcp' && rule.FromPort <= 443 && rule.ToPort >= 443);

/** Where `workload`'s HTTPS request to `api` goes once the template is deployed. */
function reach(template: Template, api: Api, workload: Workload): Reach {
  const capturing = endpointsOf(template, api).filter(([, r]) => r.Properties.PrivateDnsEnabled === true);
  if (capturing.length === 0) return 'unchanged';
  const admitted = capturing.every(([, r]) =>
    (r.Properties.SecurityGroupIds as any[]).some((sg) =>
      ingressOf(template, sg['Fn::GetAtt'][0]).some(
        (rule) =>
          coversHttps(rule) &&
          (rule.CidrIp !== undefined ||
            workload.securityGroupIds.some((own) => JSON.stringify(own) === JSON.stringify(rule.SourceSecurityGroupId))),
      ),
    ),
  );
  return admitted ? 'admitted' : 'cut off';
}

describe.each(['staging', 'prod'])('interface endpoints of %s', (env) => {
  const config = (EXAMPLE_CONFIG.environments as Record<string, (typeof EXAMPLE_CONFIG.environments)['prod']>)[env];
  const template = () => templates[`Fleapo-${env}`];
  const functionsSg = () => ({
    'Fn::GetAtt': [logicalIdOf(template(), 'AWS::EC2::SecurityGroup', 'DatabaseUrlRotationSecurityGroup'), 'GroupId'],
  });
  const workloads = (): Workload[] => [
    { name: "the app's tasks", securityGroupIds: config.network.serviceSecurityGroupIds },
    { name: 'the rest of the VPC', securityGroupIds: ['sg-0123456789abcdef9'] },
    { name: 'the database functions', securityGroupIds: [functionsSg()] },
  ];
  const fn = (name: string) =>
    Object.values(resourcesOfType(template(), 'AWS::Lambda::Function')).find((r) => r.Properties.FunctionName === `fleapo-${env}-${name}`)!
      .Properties;

  test('no workload of the VPC loses its way to the Secrets Manager or ECS API', () => {
    for (const api of SERVICES) {
      for (const w of workloads()) expect(`${api} from ${w.name}: ${reach(template(), api, w)}`).toBe(`${api} from ${w.name}: unchanged`);
    }
  });

  test("the app's task security groups are left exactly as configured (no rule added or removed)", () => {
    const touching = ['AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress'].flatMap((type) =>
      Object.values(resourcesOfType(template(), type)).filter((r) => config.network.serviceSecurityGroupIds.includes(r.Properties.GroupId)),
    );
    expect(touching).toEqual([]);
  });

  test('the database functions reach the endpoints the app creates by their own DNS names, and nothing else does', () => {
    expect.hasAssertions();
    const endpoints = SERVICES.map((api) => endpointsOf(template(), api));
    const expected = config.network.createInterfaceEndpoints ? 1 : 0;
    expect(endpoints.map((e) => e.length)).toEqual([expected, expected]);
    for (const name of ['database-url-rotation', 'database-role-retirement']) {
      const variables = fn(name).Environment.Variables;
      for (const [api, variable] of [
        ['secretsmanager', 'AWS_ENDPOINT_URL_SECRETS_MANAGER'],
        ['ecs', 'AWS_ENDPOINT_URL_ECS'],
      ] as const) {
        const own = endpointsOf(template(), api)[0];
        if (own === undefined) {
          expect(variables[variable]).toBeUndefined();
          continue;
        }
        // https:// + the DNS name of DnsEntries[0] ("<zone>:<name>", the regional endpoint-specific name).
        expect(variables[variable]).toEqual({
          'Fn::Join': [
            '',
            ['https://', { 'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::Select': [0, { 'Fn::GetAtt': [own[0], 'DnsEntries'] }] }] }] }],
          ],
        });
      }
    }
    for (const name of ['auth-secret-rotation', 'posthog-api-key-rotation']) {
      expect(Object.keys(fn(name).Environment.Variables).filter((k) => k.startsWith('AWS_ENDPOINT_URL'))).toEqual([]);
    }
    if (!config.network.createInterfaceEndpoints) {
      // No endpoint, no endpoint security group, and no rule naming the functions' group as a source.
      expect(() => logicalIdOf(template(), 'AWS::EC2::SecurityGroup', 'DatabaseUrlRotationEndpointSecurityGroup')).toThrow(/found none/);
      expect(resourcesOfType(template(), 'AWS::EC2::VPCEndpoint')).toEqual({});
      return;
    }
    // The endpoints' security group admits HTTPS from the functions only: they are the endpoints' only users.
    const endpointSg = logicalIdOf(template(), 'AWS::EC2::SecurityGroup', 'DatabaseUrlRotationEndpointSecurityGroup');
    expect(ingressOf(template(), endpointSg)).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: functionsSg() }),
    ]);
    for (const [, r] of endpoints.flat()) {
      expect(r.Properties).toMatchObject({
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: false,
        SecurityGroupIds: [{ 'Fn::GetAtt': [endpointSg, 'GroupId'] }],
      });
    }
  });

  test('the model sees the outage the issue describes: private DNS on the same endpoints would cut off the tasks and the VPC', () => {
    expect.hasAssertions();
    const withPrivateDns: Template = JSON.parse(JSON.stringify(template()));
    for (const r of Object.values(resourcesOfType(withPrivateDns, 'AWS::EC2::VPCEndpoint'))) r.Properties.PrivateDnsEnabled = true;
    if (!config.network.createInterfaceEndpoints) {
      // No endpoint to switch private DNS on: every workload keeps its way to both APIs.
      for (const api of SERVICES)
        expect(workloads().map((w) => reach(withPrivateDns, api, w))).toEqual(['unchanged', 'unchanged', 'unchanged']);
      return;
    }
    for (const api of SERVICES) {
      expect(workloads().map((w) => `${w.name}: ${reach(withPrivateDns, api, w)}`)).toEqual([
        "the app's tasks: cut off",
        'the rest of the VPC: cut off',
        'the database functions: admitted',
      ]);
    }
  });

  test('the database functions are told the configured database, never to trust the secret for it', () => {
    for (const name of ['database-url-rotation', 'database-role-retirement']) {
      expect(fn(name).Environment.Variables).toMatchObject({
        DB_HOST: config.database.host,
        DB_PORT: String(config.database.port),
        DB_NAME: config.database.databaseName,
        DB_APP_USER: config.database.appUser,
        DB_SSL: 'require',
        FLEAPO_ENVIRONMENT: env,
      });
    }
  });
});
