/**
 * Each guardrail fires on a small bad app, naming the construct and the fix, and never printing
 * the secret. (The same rules stay quiet on the real app: real-app.test.ts.)
 */
import { Duration, SecretValue, CfnOutput } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sm from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import {
  BROWSER_ENV_SECRET,
  DOCKER_BUILD_SECRET,
  LITERAL_SECRET_STRING,
  PLAIN_ENV_SECRET,
  SECRET_VALUE_IN_TEMPLATE,
} from '../../lib/guardrails';
import { FAKE } from './fakes';
import { dockerDir, synthWithGuardrails, violationsOf } from './helpers';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/nginx:latest');
const inlineFn = (scope: import('constructs').Construct, id: string, environment: Record<string, string>) =>
  new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
    timeout: Duration.seconds(5),
    environment,
  });

function expectNoSecretIn(message: string): void {
  for (const value of Object.values(FAKE)) {
    // toContain would print the value on failure; compare a boolean instead.
    expect(message.includes(value)).toBe(false);
  }
}

describe(PLAIN_ENV_SECRET, () => {
  test('a managed secret in container `environment` fails synth with the construct path and the ecs.Secret fix', () => {
    const msg = synthWithGuardrails((stack) => {
      const td = new ecs.FargateTaskDefinition(stack, 'Task');
      td.addContainer('web', { image, environment: { AUTH_SECRET: 'changeme', LOG_LEVEL: 'info' } });
    });
    const v = violationsOf(msg, PLAIN_ENV_SECRET);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Bad/Task/Resource');
    expect(v[0]).toContain('AUTH_SECRET');
    expect(v[0]).toContain('container web');
    expect(v[0]).toContain('ecs.Secret.fromSecretsManager');
  });

  test.each([
    'DATABASE_URL',
    'STRIPE_SECRET_KEY',
    'STRIPE_WEBHOOK_SECRET',
    'POSTHOG_API_KEY',
    'BETTER_AUTH_SECRET',
    'SMTP_PASSWORD',
    'SLACK_TOKEN',
    'MAILER_API_KEY',
  ])('%s in container environment fails', (name) => {
    const msg = synthWithGuardrails((stack) => {
      new ecs.FargateTaskDefinition(stack, 'Task').addContainer('web', { image, environment: { [name]: 'x' } });
    });
    expect(violationsOf(msg, PLAIN_ENV_SECRET).join('\n')).toContain(name);
  });

  test('a secret resolved into container environment through a dynamic reference fails, whatever its name', () => {
    const msg = synthWithGuardrails((stack) => {
      const secret = new sm.Secret(stack, 'Db');
      new ecs.FargateTaskDefinition(stack, 'Task').addContainer('web', {
        image,
        environment: { DB_CONN: secret.secretValueFromJson('url').unsafeUnwrap() },
      });
    });
    const v = violationsOf(msg, PLAIN_ENV_SECRET);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('DB_CONN');
    expect(v[0]).toContain('dynamic reference');
  });

  test('a secret in Lambda environment fails with the grantRead fix', () => {
    const msg = synthWithGuardrails((stack) => {
      const secret = new sm.Secret(stack, 'Stripe');
      inlineFn(stack, 'Fn', { STRIPE_SECRET_KEY: secret.secretValue.unsafeUnwrap() });
    });
    const v = violationsOf(msg, PLAIN_ENV_SECRET);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Bad/Fn/Resource');
    expect(v[0]).toContain('grantRead');
  });

  test('a secret as a CodeBuild PLAINTEXT variable fails', () => {
    const msg = synthWithGuardrails((stack) => {
      new codebuild.Project(stack, 'Build', {
        buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: ['true'] } } }),
        environmentVariables: { AUTH_SECRET: { value: 'x' } },
      });
    });
    expect(violationsOf(msg, PLAIN_ENV_SECRET)[0]).toContain('Bad/Build/Resource');
  });

  test('secrets through `secrets`, ARNs and non-secret names pass', () => {
    const msg = synthWithGuardrails((stack) => {
      const secret = new sm.Secret(stack, 'Auth');
      new ecs.FargateTaskDefinition(stack, 'Task').addContainer('web', {
        image,
        environment: { AUTH_SECRET_ARN: secret.secretArn, TOKEN_TTL_SECONDS: '60', PASSWORD_MIN_LENGTH: '12', NODE_ENV: 'production' },
        secrets: { AUTH_SECRET: ecs.Secret.fromSecretsManager(secret), DATABASE_URL: ecs.Secret.fromSecretsManager(secret, 'url') },
      });
      inlineFn(stack, 'Fn', { SECRET_ARN: secret.secretArn, MASTER_SECRET_ARN: secret.secretArn });
    });
    expect(msg).toBe('');
  });
});

describe(BROWSER_ENV_SECRET, () => {
  test('a VITE_ variable named like a secret fails, in a container', () => {
    const msg = synthWithGuardrails((stack) => {
      new ecs.FargateTaskDefinition(stack, 'Task').addContainer('spa', { image, environment: { VITE_STRIPE_SECRET_KEY: 'x' } });
    });
    const v = violationsOf(msg, BROWSER_ENV_SECRET);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Bad/Task/Resource');
    expect(v[0]).toContain('VITE_STRIPE_SECRET_KEY');
    expect(v[0]).toContain('shipped to every browser');
  });

  test('VITE_ bound to a secret: container secrets, Lambda env (ARN, dynamic ref), CodeBuild SECRETS_MANAGER', () => {
    const msg = synthWithGuardrails((stack) => {
      const secret = new sm.Secret(stack, 'S');
      new ecs.FargateTaskDefinition(stack, 'Task').addContainer('spa', {
        image,
        secrets: { VITE_SESSION: ecs.Secret.fromSecretsManager(secret) },
      });
      inlineFn(stack, 'Fn', { VITE_A: secret.secretArn, VITE_B: secret.secretValue.unsafeUnwrap() });
      new codebuild.Project(stack, 'Build', {
        buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: ['true'] } } }),
        environmentVariables: {
          VITE_C: { type: codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER, value: secret.secretName },
          VITE_API_BASE_URL: { value: 'https://api.example.com' },
        },
      });
    });
    const v = violationsOf(msg, BROWSER_ENV_SECRET).join('\n');
    for (const name of ['VITE_SESSION', 'VITE_A', 'VITE_B', 'VITE_C']) expect(v).toContain(name);
    expect(v).not.toContain('variable VITE_API_BASE_URL');
    expect(v).toContain('Bad/Build/Resource');
    expect(v).toContain('Bad/Fn/Resource');
  });

  test('a VITE_ variable with a secret-looking value fails, and the value is not printed', () => {
    const msg = synthWithGuardrails((stack) => {
      inlineFn(stack, 'Fn', { VITE_STRIPE_KEY_X: FAKE.stripeLive });
    });
    const v = violationsOf(msg, BROWSER_ENV_SECRET);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Stripe secret key');
    expectNoSecretIn(msg);
  });

  test('a VITE_ docker build argument bound to a secret fails', () => {
    const msg = synthWithGuardrails((stack) => {
      new DockerImageAsset(stack, 'Spa', {
        directory: dockerDir(),
        buildArgs: { VITE_POSTHOG: FAKE.posthogPersonal, VITE_API_BASE_URL: 'https://api.example.com' },
      });
    });
    const v = violationsOf(msg, BROWSER_ENV_SECRET);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Bad/Spa');
    expect(v[0]).toContain('VITE_POSTHOG');
    expectNoSecretIn(msg);
  });

  test('VITE_API_BASE_URL and other public values pass everywhere', () => {
    const msg = synthWithGuardrails((stack) => {
      new ecs.FargateTaskDefinition(stack, 'Task').addContainer('spa', {
        image,
        environment: { VITE_API_BASE_URL: 'https://api.example.com', VITE_SENTRY_DSN: 'https://public@o1.ingest.sentry.io/1' },
      });
      inlineFn(stack, 'Fn', { VITE_API_BASE_URL: 'https://api.example.com' });
      new DockerImageAsset(stack, 'Spa', {
        directory: dockerDir(),
        buildArgs: { VITE_API_BASE_URL: 'https://api.example.com', NODE_VERSION: '20' },
      });
    });
    expect(msg).toBe('');
  });
});

describe(DOCKER_BUILD_SECRET, () => {
  test('a build argument named like a secret fails with the construct path and the build-secret fix', () => {
    const msg = synthWithGuardrails((stack) => {
      new DockerImageAsset(stack, 'Api', { directory: dockerDir(), buildArgs: { NPM_TOKEN: 'x', NODE_VERSION: '20' } });
    });
    const v = violationsOf(msg, DOCKER_BUILD_SECRET);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Bad/Api');
    expect(v[0]).toContain('NPM_TOKEN');
    expect(v[0]).toContain('RUN --mount=type=secret');
  });

  test('ContainerImage.fromAsset with a secret-looking value or a dynamic reference as build argument fails', () => {
    const msg = synthWithGuardrails((stack) => {
      new ecs.FargateTaskDefinition(stack, 'Task').addContainer('web', {
        image: ecs.ContainerImage.fromAsset(dockerDir(), {
          buildArgs: { HOOK: FAKE.webhook, CONN: '{{resolve:secretsmanager:fleapo/prod/database-url}}' },
        }),
      });
    });
    const v = violationsOf(msg, DOCKER_BUILD_SECRET).join('\n');
    expect(v).toContain('HOOK');
    expect(v).toContain('Stripe webhook');
    expect(v).toContain('CONN');
    expect(v).toContain('Bad/Task/web/AssetImage');
    expectNoSecretIn(msg);
  });
});

describe(LITERAL_SECRET_STRING, () => {
  test('SecretValue.unsafePlainText in a secret fails with the out-of-band fix', () => {
    const msg = synthWithGuardrails((stack) => {
      new sm.Secret(stack, 'AuthSecret', { secretStringValue: SecretValue.unsafePlainText('not-a-pattern-but-still-a-literal') });
    });
    const v = violationsOf(msg, LITERAL_SECRET_STRING);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Bad/AuthSecret/Resource');
    expect(v[0]).toContain('bin/fleapo-secrets stage');
    expect(msg).not.toContain('not-a-pattern-but-still-a-literal');
  });

  test('secretObjectValue with a literal password fails; generated secrets pass', () => {
    const bad = synthWithGuardrails((stack) => {
      new sm.Secret(stack, 'Db', {
        secretObjectValue: { username: SecretValue.unsafePlainText('app'), password: SecretValue.unsafePlainText('hunter2hunter2') },
      });
    });
    expect(violationsOf(bad, LITERAL_SECRET_STRING)[0]).toContain('Bad/Db/Resource');
    const good = synthWithGuardrails((stack) => {
      new sm.Secret(stack, 'Db', { generateSecretString: { secretStringTemplate: '{"username":"app"}', generateStringKey: 'password' } });
      new sm.Secret(stack, 'Empty');
    });
    expect(good).toBe('');
  });
});

describe(SECRET_VALUE_IN_TEMPLATE, () => {
  test.each([
    ['stripeTest', 'Stripe secret key'],
    ['stripeRestricted', 'Stripe restricted key'],
    ['webhook', 'Stripe webhook'],
    ['posthogProject', 'PostHog'],
    ['postgresUrl', 'postgres'],
    ['awsKeyId', 'AWS access key id'],
  ] as const)('a %s value in a Lambda environment fails, naming the pattern and not the value', (key, label) => {
    const msg = synthWithGuardrails((stack) => {
      inlineFn(stack, 'Fn', { SOME_SETTING: FAKE[key] });
    });
    const v = violationsOf(msg, SECRET_VALUE_IN_TEMPLATE);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Bad/Fn/Resource');
    expect(v[0]).toContain(label);
    expect(v[0]).toContain('Environment/Variables/SOME_SETTING');
    expectNoSecretIn(msg);
  });

  test('secret-looking values anywhere: an SSM parameter, an output', () => {
    const msg = synthWithGuardrails((stack) => {
      new ssm.StringParameter(stack, 'Param', { stringValue: FAKE.stripeLive });
      new CfnOutput(stack, 'Leak', { value: FAKE.postgresUrl });
    });
    const v = violationsOf(msg, SECRET_VALUE_IN_TEMPLATE).join('\n');
    expect(v).toContain('Bad/Param/Resource');
    expect(v).toContain('Outputs');
    expect(v).toContain('ERROR Bad/Leak:');
    expectNoSecretIn(msg);
  });

  test('placeholders and non-secret lookalikes pass', () => {
    const msg = synthWithGuardrails((stack) => {
      inlineFn(stack, 'Fn', {
        EXAMPLE: 'sk_test_...',
        DB_URL_TEMPLATE: 'postgresql://app:${PASSWORD}@db:5432/fleapo',
        DB_HOST_URL: 'postgresql://db.internal:5432/fleapo',
        WHSEC_HINT: 'whsec_',
      });
    });
    expect(msg).toBe('');
  });
});
