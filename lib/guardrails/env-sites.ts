/**
 * Where CloudFormation resources take environment variables (and other NAME=value settings handed
 * to running or building code), as one table: a new resource type is one line.
 *
 * Each line names the resource type(s), the path under `Properties` (`*` = every element of a
 * list), the shape of what is there, where the value comes from (plain text, or a secret store) and
 * how to pass a secret there instead. {@link templateBindings} turns a template into the list of
 * NAME=value bindings every rule reads.
 */
import { parse as parseYaml } from 'yaml';
import { assembleStrings } from './intrinsics';
import { BindingSource, EnvBinding, StackInput, join, resourcePath } from './model';

/** The shapes environment variables come in. */
export type EnvShape =
  /** A list of objects: `[{Name, Value}]`, `[{Variable, Value}]`, Beanstalk `[{Namespace, OptionName, Value}]` (with `where`). */
  | {
      readonly kind: 'list';
      readonly nameKey: string;
      readonly valueKey: string;
      readonly typeKey?: string;
      readonly where?: Readonly<Record<string, string>>;
    }
  /** A map of name to value: `{NAME: value}`. */
  | { readonly kind: 'map' }
  /** A CodeBuild / Amplify buildspec given inline (YAML or JSON text): `env.variables`, `env.parameter-store`, `env.secrets-manager`. */
  | { readonly kind: 'buildspec' }
  /** A JSON text holding a list of `{name, value, type}` (CodePipeline's CodeBuild action). */
  | { readonly kind: 'json-list'; readonly nameKey: string; readonly valueKey: string; readonly typeKey?: string };

export interface EnvSiteSpec {
  readonly types: readonly string[];
  /** Slash-separated path under `Properties`; `*` stands for every element of a list. */
  readonly path: string;
  readonly shape: EnvShape;
  /** What a binding there is called in messages ("container environment variable"). */
  readonly label: string;
  /** Where the value comes from. @default 'plain' (CodeBuild-style `Type` keys override it per variable) */
  readonly source?: BindingSource;
  /** How to hand a secret to this resource instead. */
  readonly fix: string;
  /** Names the binding's owner in messages: the `key` property of the innermost `*` element, called `label` ("container web"). */
  readonly owner?: { readonly label: string; readonly key: string };
}

const FIX = {
  ecs:
    'Move it from `environment` to `secrets`: `secrets: { NAME: ecs.Secret.fromSecretsManager(secret) }` ' +
    '(ECS reads the value at task start; the task execution role gets GetSecretValue). ' +
    'If the variable is not a secret, rename it so it does not end in _SECRET/_PASSWORD/_API_KEY/_TOKEN/_KEY.',
  lambda:
    'Do not put the secret in the function environment: pass the secret ARN (e.g. NAME_SECRET_ARN: secret.secretArn), ' +
    'grant `secret.grantRead(fn)` and read it at run time (Secrets Manager SDK or the Parameters and Secrets extension).',
  codebuild: 'Use `{ type: codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER, value: secret.secretName }` instead of PLAINTEXT.',
  buildspec:
    'In the buildspec, take it from `env.secrets-manager` (NAME: secret-id:json-key) or `env.parameter-store`, never from `env.variables`.',
  codepipeline:
    "In the CodeBuild action's `environmentVariables`, use `type: BuildEnvironmentVariableType.SECRETS_MANAGER` (value: the secret's name), not PLAINTEXT.",
  appRunner:
    'Use `RuntimeEnvironmentSecrets` (App Runner reads the Secrets Manager / SSM ARN at start; `apprunner.Secret.fromSecretsManager`), not `RuntimeEnvironmentVariables`.',
  batch: "Use the container's `secrets` (`batch.Secret.fromSecretsManager(secret)`), not `environment`.",
  eks: 'Do not write it into the pod spec: mount a Kubernetes secret, or give the pod an IAM role and read it at run time.',
  amplify:
    'Amplify environment variables are plain text (console, GetApp): keep the secret in Secrets Manager or an SSM SecureString ' +
    '(Amplify secrets) and read it during the build.',
  beanstalk:
    'Do not put it in aws:elasticbeanstalk:application:environment: Elastic Beanstalk can fetch a Secrets Manager secret or SSM parameter ' +
    'by ARN into an environment variable at instance start (environment secrets), or read it at run time.',
  glueConnection: 'Give the connection a `SECRET_ID` (a Secrets Manager secret holding username and password), not a PASSWORD property.',
  runtime: "Pass the secret's ARN or name instead and read it at run time with a role allowed to read it (`secret.grantRead(...)`).",
};

const CONTAINER = { label: 'container', key: 'Name' };
const batchContainer = (base: string): EnvSiteSpec[] => [
  {
    types: ['AWS::Batch::JobDefinition'],
    path: `${base}/Environment`,
    shape: { kind: 'list', nameKey: 'Name', valueKey: 'Value' },
    label: 'Batch container environment variable',
    fix: FIX.batch,
    owner: CONTAINER,
  },
  {
    types: ['AWS::Batch::JobDefinition'],
    path: `${base}/Secrets`,
    shape: { kind: 'list', nameKey: 'Name', valueKey: 'ValueFrom' },
    label: 'Batch container secret',
    source: 'secret-store',
    fix: FIX.batch,
    owner: CONTAINER,
  },
];
const batchEks = (base: string): EnvSiteSpec[] =>
  ['Containers', 'InitContainers'].map((list) => ({
    types: ['AWS::Batch::JobDefinition'],
    path: `${base}/PodProperties/${list}/*/Env`,
    shape: { kind: 'list', nameKey: 'Name', valueKey: 'Value' } as const,
    label: 'Batch EKS container environment variable',
    fix: FIX.eks,
    owner: CONTAINER,
  }));
/** Job definitions: single-node (ContainerProperties / EcsProperties / EksProperties) and each node range of multi-node jobs. */
const batch = (node: string): EnvSiteSpec[] => [
  ...batchContainer(node ? `${node}Container` : 'ContainerProperties'),
  ...batchContainer(`${node}EcsProperties/TaskProperties/*/Containers/*`),
  ...batchEks(`${node}EksProperties`),
];
const appRunner = (base: string): EnvSiteSpec[] => [
  {
    types: ['AWS::AppRunner::Service'],
    path: `${base}/RuntimeEnvironmentVariables`,
    shape: { kind: 'list', nameKey: 'Name', valueKey: 'Value' },
    label: 'App Runner environment variable',
    fix: FIX.appRunner,
  },
  {
    types: ['AWS::AppRunner::Service'],
    path: `${base}/RuntimeEnvironmentSecrets`,
    shape: { kind: 'list', nameKey: 'Name', valueKey: 'Value' },
    label: 'App Runner secret',
    source: 'secret-store',
    fix: FIX.appRunner,
  },
];
const BEANSTALK_ENV = { Namespace: 'aws:elasticbeanstalk:application:environment' };

/** Every place a resource type takes environment variables. */
export const ENV_SITES: readonly EnvSiteSpec[] = [
  {
    types: ['AWS::ECS::TaskDefinition'],
    path: 'ContainerDefinitions/*/Environment',
    shape: { kind: 'list', nameKey: 'Name', valueKey: 'Value' },
    label: 'container environment variable',
    fix: FIX.ecs,
    owner: CONTAINER,
  },
  {
    types: ['AWS::ECS::TaskDefinition'],
    path: 'ContainerDefinitions/*/Secrets',
    shape: { kind: 'list', nameKey: 'Name', valueKey: 'ValueFrom' },
    label: 'container secret',
    source: 'secret-store',
    fix: FIX.ecs,
    owner: CONTAINER,
  },
  {
    types: ['AWS::Lambda::Function', 'AWS::Serverless::Function'],
    path: 'Environment/Variables',
    shape: { kind: 'map' },
    label: 'Lambda environment variable',
    fix: FIX.lambda,
  },
  {
    types: ['AWS::CodeBuild::Project'],
    path: 'Environment/EnvironmentVariables',
    shape: { kind: 'list', nameKey: 'Name', valueKey: 'Value', typeKey: 'Type' },
    label: 'CodeBuild environment variable',
    fix: FIX.codebuild,
  },
  {
    types: ['AWS::CodeBuild::Project'],
    path: 'Source/BuildSpec',
    shape: { kind: 'buildspec' },
    label: 'CodeBuild buildspec variable',
    fix: FIX.buildspec,
  },
  {
    types: ['AWS::CodeBuild::Project'],
    path: 'SecondarySources/*/BuildSpec',
    shape: { kind: 'buildspec' },
    label: 'CodeBuild buildspec variable',
    fix: FIX.buildspec,
  },
  {
    types: ['AWS::CodePipeline::Pipeline'],
    path: 'Stages/*/Actions/*/Configuration/EnvironmentVariables',
    shape: { kind: 'json-list', nameKey: 'name', valueKey: 'value', typeKey: 'type' },
    label: 'CodePipeline CodeBuild action variable',
    fix: FIX.codepipeline,
    owner: { label: 'action', key: 'Name' },
  },
  ...appRunner('SourceConfiguration/ImageRepository/ImageConfiguration'),
  ...appRunner('SourceConfiguration/CodeRepository/CodeConfiguration/CodeConfigurationValues'),
  ...batch(''),
  ...batch('NodeProperties/NodeRangeProperties/*/'),
  {
    types: ['AWS::Amplify::App', 'AWS::Amplify::Branch'],
    path: 'EnvironmentVariables',
    shape: { kind: 'list', nameKey: 'Name', valueKey: 'Value' },
    label: 'Amplify environment variable',
    fix: FIX.amplify,
  },
  {
    types: ['AWS::Amplify::App'],
    path: 'AutoBranchCreationConfig/EnvironmentVariables',
    shape: { kind: 'list', nameKey: 'Name', valueKey: 'Value' },
    label: 'Amplify environment variable',
    fix: FIX.amplify,
  },
  {
    types: ['AWS::Amplify::App', 'AWS::Amplify::Branch'],
    path: 'BuildSpec',
    shape: { kind: 'buildspec' },
    label: 'Amplify buildspec variable',
    fix: FIX.amplify,
  },
  {
    types: ['AWS::Amplify::App'],
    path: 'AutoBranchCreationConfig/BuildSpec',
    shape: { kind: 'buildspec' },
    label: 'Amplify buildspec variable',
    fix: FIX.amplify,
  },
  {
    types: ['AWS::ElasticBeanstalk::Environment', 'AWS::ElasticBeanstalk::ConfigurationTemplate'],
    path: 'OptionSettings',
    shape: { kind: 'list', nameKey: 'OptionName', valueKey: 'Value', where: BEANSTALK_ENV },
    label: 'Elastic Beanstalk environment property',
    fix: FIX.beanstalk,
  },
  {
    types: ['AWS::SageMaker::Model'],
    path: 'PrimaryContainer/Environment',
    shape: { kind: 'map' },
    label: 'SageMaker container environment variable',
    fix: FIX.runtime,
  },
  {
    types: ['AWS::SageMaker::Model'],
    path: 'Containers/*/Environment',
    shape: { kind: 'map' },
    label: 'SageMaker container environment variable',
    fix: FIX.runtime,
  },
  { types: ['AWS::Glue::Job'], path: 'DefaultArguments', shape: { kind: 'map' }, label: 'Glue job argument', fix: FIX.runtime },
  { types: ['AWS::Glue::Job'], path: 'NonOverridableArguments', shape: { kind: 'map' }, label: 'Glue job argument', fix: FIX.runtime },
  {
    types: ['AWS::Glue::Connection'],
    path: 'ConnectionInput/ConnectionProperties',
    shape: { kind: 'map' },
    label: 'Glue connection property',
    fix: FIX.glueConnection,
  },
  {
    types: ['AWS::Lightsail::Container'],
    path: 'ContainerServiceDeployment/Containers/*/Environment',
    shape: { kind: 'list', nameKey: 'Variable', valueKey: 'Value' },
    label: 'Lightsail container environment variable',
    fix: FIX.runtime,
    owner: { label: 'container', key: 'ContainerName' },
  },
];

const VALUE_TYPE_SOURCE: Record<string, BindingSource> = {
  PLAINTEXT: 'plain',
  SECRETS_MANAGER: 'secret-store',
  PARAMETER_STORE: 'parameter-store',
};

/** Every environment variable (and secret reference) a template hands to running or building code. */
export function templateBindings(stack: StackInput, sites: readonly EnvSiteSpec[] = ENV_SITES): EnvBinding[] {
  const out: EnvBinding[] = [];
  for (const [logicalId, res] of Object.entries(stack.template.Resources ?? {})) {
    const specs = sites.filter((s) => s.types.includes(res.Type));
    if (specs.length === 0) continue;
    const common = {
      constructPath: resourcePath(stack, logicalId, res),
      logicalId,
      filePath: stack.templatePath,
      template: stack.template,
    };
    for (const spec of specs) {
      for (const at of walkPath(res.Properties, spec.path.split('/'), 'Properties', spec.owner?.key)) {
        for (const b of extract(spec, at.value, at.location)) {
          const owner = spec.owner && at.owner !== undefined ? { owner: `${spec.owner.label} ${at.owner}` } : {};
          out.push({ ...common, ...b, site: spec.label, fix: spec.fix, ...owner });
        }
      }
    }
  }
  return out;
}

type Extracted = Pick<EnvBinding, 'name' | 'value' | 'source' | 'location'> & { valueType?: string };

function extract(spec: EnvSiteSpec, value: unknown, location: string): Extracted[] {
  const shape = spec.shape;
  const source = spec.source ?? 'plain';
  switch (shape.kind) {
    case 'map':
      return Object.entries(asRecord(value)).map(([name, v]) => ({ name, value: v, source, location: join(location, name) }));
    case 'list':
      return asArray(value).flatMap((e, i) => {
        const kv = asRecord(e);
        const name = kv[shape.nameKey];
        if (typeof name !== 'string') return [];
        if (shape.where && Object.entries(shape.where).some(([k, want]) => kv[k] !== want)) return [];
        const type = shape.typeKey && typeof kv[shape.typeKey] === 'string' ? (kv[shape.typeKey] as string) : undefined;
        return [
          {
            name,
            value: kv[shape.valueKey],
            source: type ? (VALUE_TYPE_SOURCE[type] ?? source) : source,
            valueType: type,
            location: join(location, String(i)),
          },
        ];
      });
    case 'json-list':
      return assembleStrings(value).texts.flatMap((text) => {
        const parsed = parseJson(text);
        return asArray(parsed).flatMap((e, i) => {
          const kv = asRecord(e);
          const name = kv[shape.nameKey];
          if (typeof name !== 'string') return [];
          const type = shape.typeKey && typeof kv[shape.typeKey] === 'string' ? (kv[shape.typeKey] as string) : undefined;
          return [
            {
              name,
              value: kv[shape.valueKey],
              source: type ? (VALUE_TYPE_SOURCE[type] ?? source) : source,
              valueType: type,
              location: `${location}#${i}`,
            },
          ];
        });
      });
    case 'buildspec':
      return assembleStrings(value).texts.flatMap((text) => {
        const env = asRecord(asRecord(parseBuildspec(text)).env);
        const sections: Array<[string, BindingSource]> = [
          ['variables', 'plain'],
          ['parameter-store', 'parameter-store'],
          ['secrets-manager', 'secret-store'],
        ];
        return sections.flatMap(([section, src]) =>
          Object.entries(asRecord(env[section])).map(([name, v]) => ({
            name,
            value: v,
            source: src,
            location: `${location}#env/${section}/${name}`,
          })),
        );
      });
  }
}

/** The values at a path (`*` = every list element), with their location and the `ownerKey` of the innermost `*` element (or its index). */
function walkPath(
  root: unknown,
  segments: readonly string[],
  base: string,
  ownerKey?: string,
): Array<{ value: unknown; location: string; owner?: string }> {
  let current: Array<{ value: unknown; location: string; owner?: string }> = [{ value: root, location: base }];
  for (const seg of segments) {
    const next: typeof current = [];
    for (const c of current) {
      if (seg === '*') {
        asArray(c.value).forEach((v, i) => {
          const name = ownerKey ? asRecord(v)[ownerKey] : undefined;
          next.push({ value: v, location: join(c.location, String(i)), owner: typeof name === 'string' ? name : String(i) });
        });
      } else {
        const v = asRecord(c.value)[seg];
        if (v !== undefined) next.push({ value: v, location: join(c.location, seg), owner: c.owner });
      }
    }
    current = next;
  }
  return current;
}

function parseBuildspec(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return undefined; // not inline YAML (a file name in the source), or not parseable: nothing to read
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
