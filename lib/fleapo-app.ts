import { App, DefaultStackSynthesizer, Tags, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { FleapoConfig } from './config/environment-config';
import { environmentStackId, githubOidcStackId } from './config/resource-names';
import { describeLoadedConfig, loadConfigWithSource } from './config/load-config';
import { SecretGuardrails } from './guardrails';
import { ENVIRONMENT_TAG } from './constructs/environment-deploy-policies';
import { CachedCloudFormationValidatePlugin } from './validation/cached-cloudformation-validate-plugin';
import { EnvironmentStack } from './stacks/environment-stack';
import { GithubOidcStack } from './stacks/github-oidc-stack';

/** Options of {@link createFleapoApp}. */
export interface FleapoAppOptions {
  /** Extra cdk context (tests: `{ 'aws:cdk:bundling-stacks': [] }` skips Lambda bundling). */
  readonly context?: Record<string, unknown>;
  /** Where to write the cloud assembly. @default the CLI's, or a temporary directory */
  readonly outdir?: string;
  /** The configuration. @default loaded from the example configuration and the team's overrides */
  readonly config?: FleapoConfig;
  /**
   * Receives the one line that names the loaded configuration's sources and each environment's account and region
   * (not called when `config` is given). bin/app.ts prints it on stderr. @default nothing
   */
  readonly report?: (line: string) => void;
}

/**
 * Feature flags of this app: aws-cdk-lib's recommended flags (as `cdk init` writes them), plus built-in
 * CloudFormation validation findings as errors.
 */
export const FEATURE_FLAGS: Record<string, unknown> = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ...(require('aws-cdk-lib/recommended-feature-flags.json') as Record<string, unknown>),
  '@aws-cdk/core:validateAgainstDefaultRules': true,
};

export { environmentStackId, githubOidcStackId } from './config/resource-names';

/**
 * The fleapo secrets app: for each configured environment its stack `Fleapo-<env>`, for each account its
 * `FleapoGithubOidc-<account>`. On every synth, cdk-nag AwsSolutions, the runbook's guardrails
 * (`SecretGuardrails`) and aws-cdk-lib's CloudFormation validation run and fail it on any unacknowledged finding.
 */
export function createFleapoApp(options: FleapoAppOptions = {}): App {
  const appProps: AppProps = {
    context: { ...FEATURE_FLAGS, ...options.context },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  };
  const app = new App(appProps);
  let config = options.config;
  if (!config) {
    const loaded = loadConfigWithSource(app.node);
    options.report?.(describeLoadedConfig(loaded));
    config = loaded.config;
  }

  for (const env of config.environments) {
    const stack = new EnvironmentStack(app, environmentStackId(env.name), {
      environment: env,
      env: { account: env.account, region: env.region },
      // The environment's own bootstrap: its roles are bounded by the environment's policies
      // (docs/bootstrap-and-first-deploy.md, "Bootstrap order").
      synthesizer: new DefaultStackSynthesizer({ qualifier: env.cdkBootstrapQualifier }),
      terminationProtection: env.terminationProtection,
      description: `fleapo ${env.name}: secrets under ${env.secretPrefix}/, their KMS key, the ECS service that injects them, their rotation`,
    });
    // Not on the secrets: their tags are the rotation's rollout record, which CloudFormation must not manage.
    Tags.of(stack).add(ENVIRONMENT_TAG, env.name, { excludeResourceTypes: ['AWS::SecretsManager::Secret'] });
  }

  for (const [account, accountConfig] of Object.entries(config.accounts)) {
    const environments = config.environments.filter((env) => env.account === account);
    const stack = new GithubOidcStack(app, githubOidcStackId(account), {
      accountConfig,
      environments,
      synthesizer: new DefaultStackSynthesizer({ qualifier: accountConfig.cdkBootstrapQualifier }),
      env: { account, region: environments[0].region },
      terminationProtection: true,
      description: `GitHub Actions OIDC provider and roles of account ${account} (${environments.map((e) => e.name).join(', ')})`,
    });
    Tags.of(stack).add('fleapo:component', 'github-oidc');
  }

  // aws-cdk-lib's CloudFormation validation, run by us so that unchanged templates reuse their report; aws-cdk-lib
  // then adds no instance of its own. Its starter, first, has the engine validate while cdk-nag and the guardrails run.
  const cloudFormation = new CachedCloudFormationValidatePlugin();
  Validations.of(app).addPlugins(cloudFormation.starter, new AwsSolutionsChecks(app), new SecretGuardrails(), cloudFormation);
  return app;
}
