/**
 * Example configuration that ships with the repository, so that `npm run synth` works out of the box.
 * Account `111111111111` and `us-east-1` as in the runbook; every field of {@link PLACEHOLDER_FIELDS} is a placeholder.
 *
 * A real team does not edit this file: it overrides any field with a JSON file of its own
 * (`cdk synth -c fleapo:configFile=path/to/fleapo.json`, or `FLEAPO_CONFIG_FILE`), merged over this one (JSON Merge
 * Patch), and must give every placeholder field of each environment it keeps (`loadConfig` refuses it otherwise).
 */
export const EXAMPLE_CONFIG = {
  environments: {
    staging: {
      account: '111111111111',
      region: 'us-east-1',
      secretPrefix: 'fleapo/staging',
      network: {
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        privateSubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
        serviceSecurityGroupIds: ['sg-0a1b2c3d4e5f60010'],
        createInterfaceEndpoints: false,
      },
      service: {
        clusterName: 'fleapo-staging',
        serviceName: 'fleapo-web',
        image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/fleapo-web:staging',
        containerPort: 3000,
        cpu: 512,
        memoryMiB: 1024,
        desiredCount: 1,
      },
      database: {
        host: 'fleapo-staging.cluster-abcdefghijkl.us-east-1.rds.amazonaws.com',
        port: 5432,
        databaseName: 'fleapo',
        appUser: 'fleapo_app',
        masterSecretArn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:rds!cluster-staging-AbCdEf',
        securityGroupId: 'sg-0a1b2c3d4e5f60020',
        ssl: 'require',
      },
      github: { owner: 'fleapo', repository: 'fleapo-secrets', deployEnvironment: 'staging' },
      rotation: { authSecretSchedule: 'cron(0 4 ? * SUN *)', authSecretWindow: '2h', databaseUrlRotationDays: 30 },
      externalServices: { stripeMode: 'test', posthogApiHost: 'https://us.i.posthog.com' },
      alerts: { emails: [] as string[] },
      cdkBootstrapQualifier: 'fleapostg',
      operators: {
        trustedPrincipalArns: [
          'arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_FleapoStagingOperator_0123456789abcdef',
        ],
      },
      terminationProtection: false,
    },
    prod: {
      account: '111111111111',
      region: 'us-east-1',
      secretPrefix: 'fleapo/prod',
      network: {
        vpcId: 'vpc-0f1e2d3c4b5a69788',
        availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        privateSubnetIds: ['subnet-0f1e2d3c4b5a60001', 'subnet-0f1e2d3c4b5a60002', 'subnet-0f1e2d3c4b5a60003'],
        serviceSecurityGroupIds: ['sg-0f1e2d3c4b5a60010'],
        createInterfaceEndpoints: true,
      },
      service: {
        clusterName: 'fleapo-prod',
        serviceName: 'fleapo-web',
        image:
          '111111111111.dkr.ecr.us-east-1.amazonaws.com/fleapo-web@sha256:4c1e0d5a9b7f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d',
        containerPort: 3000,
        cpu: 1024,
        memoryMiB: 2048,
        desiredCount: 2,
      },
      database: {
        host: 'fleapo-prod.cluster-abcdefghijkl.us-east-1.rds.amazonaws.com',
        port: 5432,
        databaseName: 'fleapo',
        appUser: 'fleapo_app',
        masterSecretArn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:rds!cluster-prod-AbCdEf',
        securityGroupId: 'sg-0f1e2d3c4b5a60020',
        ssl: 'require',
      },
      github: { owner: 'fleapo', repository: 'fleapo-secrets', deployEnvironment: 'prod' },
      rotation: { authSecretSchedule: 'cron(0 4 ? * SUN *)', authSecretWindow: '2h', databaseUrlRotationDays: 30 },
      externalServices: { stripeMode: 'live', posthogApiHost: 'https://us.i.posthog.com' },
      alerts: { emails: [] as string[] },
      cdkBootstrapQualifier: 'fleapoprod',
      operators: {
        trustedPrincipalArns: [
          'arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_FleapoProdOperator_fedcba9876543210',
        ],
      },
      terminationProtection: true,
    },
  },
  accounts: {
    '111111111111': { importExistingOidcProvider: false, cdkBootstrapQualifier: 'hnb659fds' },
  },
};

/**
 * The fields of an environment (dotted paths) whose example value above is a placeholder: they describe the team's own
 * AWS accounts, network, cluster, image, database, GitHub repository and operators, which no default can know. A team
 * configuration must give each of them, in its file or inline context, for every environment it keeps (a new
 * environment gives every field anyway); the other fields have defaults a team may keep.
 */
export const PLACEHOLDER_FIELDS = [
  'account',
  'region',
  'network.vpcId',
  'network.availabilityZones',
  'network.privateSubnetIds',
  'network.serviceSecurityGroupIds',
  'service.clusterName',
  'service.image',
  'database.host',
  'database.masterSecretArn',
  'database.securityGroupId',
  'github.owner',
  'github.repository',
  // Who may assume the operator roles: the example's Identity Center roles are in the example account. A team gives
  // its own principals, or `"operators": null` for no operator roles.
  'operators',
] as const;
