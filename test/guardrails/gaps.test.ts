/**
 * The classes of leak the guardrails cover by mechanism (issue 7, section 6), each on a small bad app:
 * values assembled from several pieces (Fn::Join, Fn::Sub), a SecretString mixing references with a
 * literal password, postgres URLs with punctuation, every resource type of the environment table,
 * secret-like names in any case style, and credentials given as literals. Each finding names the
 * construct and the rule and never prints the value; the quiet cases prove the same apps done right pass.
 */
import { CfnParameter, CfnResource, Fn, SecretValue, Stack } from 'aws-cdk-lib';
import * as apprunner from 'aws-cdk-lib/aws-apprunner';
import * as amplify from 'aws-cdk-lib/aws-amplify';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as docdb from 'aws-cdk-lib/aws-docdb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as eb from 'aws-cdk-lib/aws-elasticbeanstalk';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as redshift from 'aws-cdk-lib/aws-redshift';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sm from 'aws-cdk-lib/aws-secretsmanager';
import {
  BROWSER_ENV_SECRET,
  LITERAL_CREDENTIAL,
  LITERAL_SECRET_STRING,
  PLAIN_ENV_SECRET,
  SECRET_VALUE_IN_TEMPLATE,
} from '../../lib/guardrails';
import { FAKE, FAKE_PASSWORD } from './fakes';
import { synthGuarded, synthWithGuardrails, violationsOf } from './helpers';

/** The resource types of a synthesized template, each once, sorted. */
const typesOf = (resourceTypes: Record<string, string> | undefined) => [...new Set(Object.values(resourceTypes ?? {}))].sort();

const SECRETS = [...Object.values(FAKE), FAKE_PASSWORD];

/** A boolean, so a failing test never prints a value. */
function expectNoSecretIn(message: string): void {
  expect(SECRETS.some((s) => message.includes(s))).toBe(false);
}

const fn = (stack: Stack, environment: Record<string, string>) =>
  new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
    environment,
  });

describe('values assembled from several pieces', () => {
  test('a dynamic reference built from the pieces of an Fn::Join, under a harmless name, fails', () => {
    const msg = synthWithGuardrails((stack) => {
      const secret = new sm.Secret(stack, 'Db');
      fn(stack, { DB_CONN: Fn.join('', ['{{resol', 've:secrets', 'manager:', secret.secretArn, ':SecretString:url::}}']) });
    });
    const v = violationsOf(msg, PLAIN_ENV_SECRET);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Bad/Fn/Resource');
    expect(v[0]).toContain('DB_CONN');
    expect(v[0]).toContain('dynamic reference');
  });

  test('a dynamic reference written through Fn::Sub and its variable map fails', () => {
    const msg = synthWithGuardrails((stack) => {
      const secret = new sm.Secret(stack, 'Db');
      fn(stack, {
        DB_CONN: Fn.sub('{{resolve:${Store}:${Arn}:SecretString:url::}}', { Store: 'secrets' + 'manager', Arn: secret.secretArn }),
      });
    });
    expect(violationsOf(msg, PLAIN_ENV_SECRET).join('\n')).toContain('DB_CONN');
  });

  test('a key split over the pieces of an Fn::Join fails, naming the pattern, not the value', () => {
    const msg = synthWithGuardrails((stack) => {
      const bucket = new s3.Bucket(stack, 'B');
      const k = FAKE.stripeLive;
      fn(stack, { SETTING: Fn.join('', [k.slice(0, 5), k.slice(5, 12), k.slice(12)]), OTHER: Fn.join('/', [bucket.bucketName, 'x']) });
    });
    const v = violationsOf(msg, SECRET_VALUE_IN_TEMPLATE);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Bad/Fn/Resource');
    expect(v[0]).toContain('Environment/Variables/SETTING');
    expect(v[0]).toContain('Stripe secret key');
    expectNoSecretIn(msg);
  });

  test('a postgres URL whose password has punctuation fails, also when the host is a reference', () => {
    const msg = synthWithGuardrails((stack) => {
      const bucket = new s3.Bucket(stack, 'B');
      const [head, tail] = FAKE.postgresUrlPunctuated.split('@');
      fn(stack, {
        SETTING: FAKE.postgresUrlPunctuated,
        JOINED: Fn.join('', [head, '@', bucket.bucketDomainName, '/', tail.split('/')[1]]),
      });
    });
    const v = violationsOf(msg, SECRET_VALUE_IN_TEMPLATE);
    expect(v).toHaveLength(2);
    expect(v.join('\n')).toContain('Environment/Variables/SETTING');
    expect(v.join('\n')).toContain('Environment/Variables/JOINED');
    expectNoSecretIn(msg);
  });
});

describe(LITERAL_SECRET_STRING, () => {
  test.each(['dbPassword', 'db-password', 'master.password', 'DB_PASS', 'apiKey', 'clientSecret'])(
    'a SecretString mixing references with a literal %s field fails',
    (field) => {
      const msg = synthWithGuardrails((stack) => {
        const bucket = new s3.Bucket(stack, 'B');
        new sm.Secret(stack, 'Conn', {
          secretObjectValue: {
            host: SecretValue.unsafePlainText(bucket.bucketDomainName),
            username: SecretValue.unsafePlainText('app'),
            [field]: SecretValue.unsafePlainText(FAKE_PASSWORD),
          },
        });
      });
      const v = violationsOf(msg, LITERAL_SECRET_STRING);
      expect(v).toHaveLength(1);
      expect(v[0]).toContain('Bad/Conn/Resource');
      expect(v[0]).toContain(`field "${field}"`);
      expectNoSecretIn(msg);
    },
  );

  test('a SecretString of references only (a generated password, an attribute) passes', () => {
    const { message: msg, resourceTypes } = synthGuarded((stack) => {
      const bucket = new s3.Bucket(stack, 'B');
      const generated = new sm.Secret(stack, 'Generated', {
        generateSecretString: { secretStringTemplate: '{"username":"app"}', generateStringKey: 'password' },
      });
      new sm.Secret(stack, 'Conn', {
        secretObjectValue: {
          host: SecretValue.unsafePlainText(bucket.bucketDomainName),
          username: SecretValue.unsafePlainText('app'),
          password: generated.secretValueFromJson('password'),
        },
      });
    });
    expect(violationsOf(msg, LITERAL_SECRET_STRING)).toEqual([]);
    // The synth succeeded (no finding of any rule) and the template holds the secrets the case is about.
    expect(msg).toBe('');
    expect(typesOf(resourceTypes)).toEqual(['AWS::S3::Bucket', 'AWS::SecretsManager::Secret']);
    expect(Object.values(resourceTypes!).filter((t) => t === 'AWS::SecretsManager::Secret')).toHaveLength(2);
  });
});

/** One small resource per environment-variable site of the table, with the variable under the given name. */
const ENV_SITE_APPS: Array<[string, string, (stack: Stack, name: string, value: string) => void]> = [
  [
    'App Runner',
    'Bad/Svc',
    (stack, name, value) => {
      new apprunner.CfnService(stack, 'Svc', {
        sourceConfiguration: {
          imageRepository: {
            imageIdentifier: 'public.ecr.aws/nginx/nginx:latest',
            imageRepositoryType: 'ECR_PUBLIC',
            imageConfiguration: { runtimeEnvironmentVariables: [{ name, value }] },
          },
        },
      });
    },
  ],
  [
    'AWS Batch (container)',
    'Bad/Job',
    (stack, name, value) => {
      new batch.CfnJobDefinition(stack, 'Job', {
        type: 'container',
        containerProperties: { image: 'busybox', environment: [{ name, value }] },
      });
    },
  ],
  [
    'AWS Batch (ECS properties)',
    'Bad/Job',
    (stack, name, value) => {
      new batch.CfnJobDefinition(stack, 'Job', {
        type: 'container',
        ecsProperties: { taskProperties: [{ containers: [{ name: 'main', image: 'busybox', environment: [{ name, value }] }] }] },
      });
    },
  ],
  [
    'AWS Batch (EKS)',
    'Bad/Job',
    (stack, name, value) => {
      new batch.CfnJobDefinition(stack, 'Job', {
        type: 'container',
        eksProperties: { podProperties: { containers: [{ name: 'main', image: 'busybox', env: [{ name, value }] }] } },
      });
    },
  ],
  [
    'Amplify',
    'Bad/Site',
    (stack, name, value) => {
      new amplify.CfnApp(stack, 'Site', { name: 'site', environmentVariables: [{ name, value }] });
    },
  ],
  [
    'Amplify buildspec',
    'Bad/Site',
    (stack, name, value) => {
      new amplify.CfnApp(stack, 'Site', {
        name: 'site',
        buildSpec: `version: 1\nenv:\n  variables:\n    ${name}: ${value}\nfrontend:\n  phases:\n    build:\n      commands: [npm run build]\n`,
      });
    },
  ],
  [
    'CodeBuild inline buildspec',
    'Bad/Build',
    (stack, name, value) => {
      new codebuild.Project(stack, 'Build', {
        buildSpec: codebuild.BuildSpec.fromObject({
          version: '0.2',
          env: { variables: { [name]: value } },
          phases: { build: { commands: ['true'] } },
        }),
      });
    },
  ],
  [
    'Elastic Beanstalk',
    'Bad/Env',
    (stack, name, value) => {
      new eb.CfnEnvironment(stack, 'Env', {
        applicationName: 'app',
        solutionStackName: '64bit Amazon Linux 2023 v6.1.0 running Node.js 20',
        optionSettings: [{ namespace: 'aws:elasticbeanstalk:application:environment', optionName: name, value }],
      });
    },
  ],
  [
    'SageMaker',
    'Bad/Model',
    (stack, name, value) => {
      new sagemaker.CfnModel(stack, 'Model', {
        executionRoleArn: 'arn:aws:iam::123456789012:role/x',
        primaryContainer: { image: 'x', environment: { [name]: value } },
      });
    },
  ],
  [
    'Glue job',
    'Bad/Job',
    (stack, name, value) => {
      new glue.CfnJob(stack, 'Job', {
        role: 'x',
        command: { name: 'glueetl', scriptLocation: 's3://b/k.py' },
        defaultArguments: { [`--${name}`]: value },
      });
    },
  ],
  [
    'Lightsail',
    'Bad/Ct',
    (stack, name, value) => {
      new lightsail.CfnContainer(stack, 'Ct', {
        serviceName: 'svc',
        power: 'nano',
        scale: 1,
        containerServiceDeployment: { containers: [{ containerName: 'web', image: 'nginx', environment: [{ variable: name, value }] }] },
      });
    },
  ],
  [
    'CodePipeline CodeBuild action',
    'Bad/Pipe',
    (stack, name, value) => {
      new CfnResource(stack, 'Pipe', {
        type: 'AWS::CodePipeline::Pipeline',
        properties: {
          RoleArn: 'x',
          Stages: [
            {
              Name: 'Build',
              Actions: [
                {
                  Name: 'Build',
                  ActionTypeId: { Category: 'Build', Owner: 'AWS', Provider: 'CodeBuild', Version: '1' },
                  Configuration: { ProjectName: 'p', EnvironmentVariables: JSON.stringify([{ name, value, type: 'PLAINTEXT' }]) },
                },
              ],
            },
          ],
        },
      });
    },
  ],
];

describe(`${PLAIN_ENV_SECRET} on every resource type that takes environment variables`, () => {
  test.each(
    ENV_SITE_APPS.flatMap(([label, path, build]) =>
      ['stripeSecretKey', 'auth-secret', 'db.password'].map((name) => [label, name, path, build] as const),
    ),
  )('%s: a variable named %s fails, naming the construct and the variable', (_label, name, path, build) => {
    const msg = synthWithGuardrails((stack) => build(stack, name, FAKE_PASSWORD));
    const v = violationsOf(msg, PLAIN_ENV_SECRET);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain(path);
    expect(v[0]).toContain(name);
    expectNoSecretIn(msg);
  });

  test.each(ENV_SITE_APPS.map(([label, , build]) => [label, build] as const))('%s: public settings pass', (_label, build) => {
    const msg = synthWithGuardrails((stack) => build(stack, 'apiBaseUrl', 'https://api.example.com'));
    expect(msg).toBe('');
  });

  test("a VITE_ variable on one of the new sites is the browser rule's", () => {
    const msg = synthWithGuardrails((stack) => ENV_SITE_APPS[0][2](stack, 'VITE_STRIPE_SECRET_KEY', 'x'));
    expect(violationsOf(msg, BROWSER_ENV_SECRET)).toHaveLength(1);
    expect(violationsOf(msg, PLAIN_ENV_SECRET)).toHaveLength(0);
  });

  test('secret-store settings pass: App Runner RuntimeEnvironmentSecrets, buildspec secrets-manager, CodeBuild SECRETS_MANAGER', () => {
    const { message: msg, resourceTypes } = synthGuarded((stack) => {
      const secret = new sm.Secret(stack, 'S');
      new apprunner.CfnService(stack, 'Svc', {
        sourceConfiguration: {
          imageRepository: {
            imageIdentifier: 'public.ecr.aws/nginx/nginx:latest',
            imageRepositoryType: 'ECR_PUBLIC',
            imageConfiguration: { runtimeEnvironmentSecrets: [{ name: 'STRIPE_SECRET_KEY', value: secret.secretArn }] },
          },
        },
      });
      new codebuild.Project(stack, 'Build', {
        buildSpec: codebuild.BuildSpec.fromObject({
          version: '0.2',
          env: { 'secrets-manager': { NPM_TOKEN: `${secret.secretName}:token` } },
          phases: { build: { commands: ['true'] } },
        }),
        environmentVariables: { GH_TOKEN: { type: codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER, value: secret.secretName } },
      });
    });
    expect(violationsOf(msg, PLAIN_ENV_SECRET)).toEqual([]);
    expect(msg).toBe('');
    expect(typesOf(resourceTypes)).toEqual(expect.arrayContaining(['AWS::AppRunner::Service', 'AWS::CodeBuild::Project']));
  });

  test("a dynamic reference in an inline buildspec's env.variables fails", () => {
    const msg = synthWithGuardrails((stack) => {
      const secret = new sm.Secret(stack, 'S');
      new codebuild.Project(stack, 'Build', {
        buildSpec: codebuild.BuildSpec.fromObject({
          version: '0.2',
          env: { variables: { REGISTRY_AUTH: secret.secretValue.unsafeUnwrap() } },
          phases: { build: { commands: ['true'] } },
        }),
      });
    });
    const v = violationsOf(msg, PLAIN_ENV_SECRET);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('REGISTRY_AUTH');
    expect(v[0]).toContain('env.secrets-manager');
  });
});

describe(LITERAL_CREDENTIAL, () => {
  const isolated = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  const vpc = (stack: Stack) =>
    new ec2.Vpc(stack, 'Vpc', {
      natGateways: 0,
      maxAzs: 2,
      subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
  const CREDENTIAL_APPS: Array<[string, string, string, (stack: Stack) => void]> = [
    [
      'RDS instance (L2, Credentials.fromPassword)',
      'Bad/Db/Resource',
      'MasterUserPassword',
      (stack) => {
        new rds.DatabaseInstance(stack, 'Db', {
          engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
          vpc: vpc(stack),
          vpcSubnets: isolated,
          credentials: rds.Credentials.fromPassword('admin', SecretValue.unsafePlainText(FAKE_PASSWORD)),
        });
      },
    ],
    [
      'Aurora cluster (L1)',
      'Bad/Cluster',
      'MasterUserPassword',
      (stack) => {
        new rds.CfnDBCluster(stack, 'Cluster', { engine: 'aurora-postgresql', masterUsername: 'admin', masterUserPassword: FAKE_PASSWORD });
      },
    ],
    [
      'DocumentDB',
      'Bad/Docs',
      'MasterUserPassword',
      (stack) => {
        new docdb.CfnDBCluster(stack, 'Docs', { masterUsername: 'admin', masterUserPassword: FAKE_PASSWORD });
      },
    ],
    [
      'Redshift',
      'Bad/Wh',
      'MasterUserPassword',
      (stack) => {
        new redshift.CfnCluster(stack, 'Wh', {
          clusterType: 'single-node',
          dbName: 'dw',
          nodeType: 'ra3.xlplus',
          masterUsername: 'admin',
          masterUserPassword: FAKE_PASSWORD,
        });
      },
    ],
    [
      'ElastiCache auth token, built with Fn::Join',
      'Bad/Cache',
      'AuthToken',
      (stack) => {
        new elasticache.CfnReplicationGroup(stack, 'Cache', {
          replicationGroupDescription: 'c',
          engine: 'redis',
          cacheNodeType: 'cache.t4g.micro',
          authToken: Fn.join('', [FAKE_PASSWORD.slice(0, 6), Stack.of(stack).region, FAKE_PASSWORD.slice(6)]),
        });
      },
    ],
    [
      "a custom resource's JSON call parameters",
      'Bad/Call',
      'Create',
      (stack) => {
        new CfnResource(stack, 'Call', {
          type: 'Custom::Call',
          properties: {
            ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:p',
            Create: JSON.stringify({ parameters: { UserName: 'x', Password: FAKE_PASSWORD } }),
          },
        });
      },
    ],
  ];

  test.each(CREDENTIAL_APPS)('%s: a literal fails, naming the construct and the property', (_label, path, property, build) => {
    const msg = synthWithGuardrails(build);
    const v = violationsOf(msg, LITERAL_CREDENTIAL);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain(path);
    expect(v[0]).toContain(property);
    expect(v[0]).toContain('ManageMasterUserPassword');
    expectNoSecretIn(msg);
  });

  test('a parameter named like a credential with a default fails; without a default it passes', () => {
    const msg = synthWithGuardrails((stack) => {
      new CfnParameter(stack, 'DbMasterPassword', { noEcho: true, default: FAKE_PASSWORD });
      new CfnParameter(stack, 'ApiToken', { noEcho: true });
    });
    const v = violationsOf(msg, LITERAL_CREDENTIAL);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('Bad/DbMasterPassword');
    expectNoSecretIn(msg);
  });

  test('managed, generated and referenced credentials pass', () => {
    const { message: msg, resourceTypes } = synthGuarded((stack) => {
      const v = vpc(stack);
      const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });
      new rds.DatabaseInstance(stack, 'Generated', {
        engine,
        vpc: v,
        vpcSubnets: isolated,
        credentials: rds.Credentials.fromGeneratedSecret('admin'),
      });
      const existing = new sm.Secret(stack, 'Existing');
      new rds.DatabaseInstance(stack, 'FromSecret', {
        engine,
        vpc: v,
        vpcSubnets: isolated,
        credentials: rds.Credentials.fromSecret(existing),
      });
      new rds.CfnDBCluster(stack, 'Managed', { engine: 'aurora-postgresql', masterUsername: 'admin', manageMasterUserPassword: true });
      new docdb.CfnDBCluster(stack, 'Docs', {
        masterUsername: 'admin',
        masterUserPassword: SecretValue.secretsManager('fleapo/docs', { jsonField: 'password' }).unsafeUnwrap(),
      });
    });
    expect(violationsOf(msg, LITERAL_CREDENTIAL)).toEqual([]);
    expect(msg).toBe('');
    expect(typesOf(resourceTypes)).toEqual(
      expect.arrayContaining(['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster', 'AWS::DocDB::DBCluster', 'AWS::SecretsManager::Secret']),
    );
    expect(Object.values(resourceTypes!).filter((t) => t === 'AWS::RDS::DBInstance')).toHaveLength(2);
  });
});
