/**
 * A team's own values for every placeholder field of an example environment (lib/config/example-config.ts,
 * PLACEHOLDER_FIELDS), so that a test's configuration is a complete team configuration, as a real one must be.
 */
export function teamEnvironment(name: string, account = '222222222222', region = 'eu-west-1'): Record<string, unknown> {
  return {
    account,
    region,
    network: {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: [`${region}a`, `${region}b`],
      privateSubnetIds: ['subnet-0123456789abcdef1', 'subnet-0123456789abcdef2'],
      serviceSecurityGroupIds: ['sg-0123456789abcdef3'],
    },
    service: {
      clusterName: `team-${name}`,
      image: `${account}.dkr.ecr.${region}.amazonaws.com/team-web@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`,
    },
    database: {
      host: `team-${name}.cluster-abcdefghijkl.${region}.rds.amazonaws.com`,
      masterSecretArn: `arn:aws:secretsmanager:${region}:${account}:secret:rds!cluster-${name}-AbCdEf`,
      securityGroupId: 'sg-0123456789abcdef4',
    },
    github: { owner: 'team', repository: 'team-secrets' },
    operators: { trustedPrincipalArns: [`arn:aws:iam::${account}:role/team-${name}-operator`] },
  };
}
