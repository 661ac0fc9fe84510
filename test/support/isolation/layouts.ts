import type { EnvironmentConfig, FleapoConfig } from '../../../lib/config/environment-config';
import { EXAMPLE_CONFIG } from '../../../lib/config/example-config';
import { mergeConfig } from '../../../lib/config/load-config';
import { validateConfig } from '../../../lib/config/validate-config';
import { fleapoBootstrapTemplate } from '../../../scripts/bootstrap-template';
import { synthesizeApp, type Template } from '../../infra/synthesized-app';
import type { EnvironmentFacts, Layout } from './world';

/**
 * The two layouts the proof runs in, as test/infra/deploy-isolation.test.ts configures them: the example configuration
 * (prod and staging in one account, the runbook's own) and the same with staging in an account of its own.
 */

const REGION = 'us-east-1';
const STAGING_ACCOUNT = '222222222222';

export interface SynthesizedLayout {
  readonly layout: Layout;
  readonly templates: Record<string, Template>;
  readonly facts: { staging: EnvironmentFacts; prod: EnvironmentFacts };
}

function factsOf(env: EnvironmentConfig): EnvironmentFacts {
  return {
    vpcId: env.network.vpcId,
    subnetIds: env.network.privateSubnetIds,
    serviceSecurityGroupIds: env.network.serviceSecurityGroupIds,
    databaseSecurityGroupId: env.database.securityGroupId,
    masterSecretArn: env.database.masterSecretArn,
    masterSecretKmsKeyArn: env.database.masterSecretKmsKeyArn,
    clusterName: env.service.clusterName,
    image: env.service.image,
    breakGlassRoleArn: env.breakGlassRoleArn,
    operatorPrincipalArns: env.operators?.trustedPrincipalArns ? [...env.operators.trustedPrincipalArns] : [],
  };
}

function layoutOf(name: string, config: FleapoConfig, templates: Record<string, Template>): SynthesizedLayout {
  const env = (n: string) => {
    const e = config.environments.find((x) => x.name === n);
    if (!e) throw new Error(`the configuration has no ${n} environment`);
    return e;
  };
  const staging = env('staging');
  const prod = env('prod');
  return {
    layout: {
      name,
      region: REGION,
      accounts: { staging: staging.account, prod: prod.account },
      qualifiers: { staging: staging.cdkBootstrapQualifier, prod: prod.cdkBootstrapQualifier },
      repository: `${prod.github.owner}/${prod.github.repository}`,
      // The README's bootstrap: the project's template, generated for this configuration (scripts/bootstrap-template.ts).
      bootstrapTemplate: fleapoBootstrapTemplate(config),
    },
    templates,
    facts: { staging: factsOf(staging), prod: factsOf(prod) },
  };
}

/** Prod and staging in one account: the example configuration, the app jest's globalSetup synthesized. */
export function sharedAccount(): SynthesizedLayout {
  const config = validateConfig(EXAMPLE_CONFIG);
  return layoutOf('one shared account', config, synthesizeApp());
}

/** The example configuration with staging in an account of its own (its master secret and image there too). */
export function accountPerEnvironmentConfig(): FleapoConfig {
  return validateConfig(
    mergeConfig(EXAMPLE_CONFIG, {
      environments: {
        staging: {
          account: STAGING_ACCOUNT,
          database: { masterSecretArn: `arn:aws:secretsmanager:${REGION}:${STAGING_ACCOUNT}:secret:rds!cluster-staging-AbCdEf` },
          service: { image: `${STAGING_ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/fleapo-web:staging` },
        },
      },
      accounts: { [STAGING_ACCOUNT]: {} },
    }),
  );
}

/** Staging in an account of its own. */
export function accountPerEnvironment(): SynthesizedLayout {
  const config = accountPerEnvironmentConfig();
  return layoutOf('an account per environment', config, synthesizeApp({ config }));
}
