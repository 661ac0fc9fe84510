/**
 * A small, pure model of what the guardrail rules look at: the resources of a synthesized
 * CloudFormation template and the docker images of an asset manifest. No file access here:
 * the plugin reads the files and hands the parsed JSON in, so each rule is a pure function
 * that tests can call on a literal template.
 */

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  [section: string]: unknown;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

/** One synthesized stack as the rules see it. */
export interface StackInput {
  /** Absolute path of the template file (reported back to CDK). */
  readonly templatePath: string;
  readonly template: CfnTemplate;
  /**
   * Construct path by logical id, from the construct tree. Templates synthesized in memory carry no
   * `aws:cdk:path` metadata (the CLI turns it on), so the plugin passes this map.
   */
  readonly constructPaths?: Readonly<Record<string, string>>;
  /** For the template of a nested stack: the construct path of its `AWS::CloudFormation::Stack` in the parent. */
  readonly nestedIn?: string;
}

/** One asset manifest (`*.assets.json`) as the rules see it. */
export interface AssetManifestInput {
  readonly manifestPath: string;
  readonly manifest: AssetManifest;
  /** Construct path of the DockerImageAsset that produced each docker image, by asset hash. */
  readonly dockerAssetPaths?: Readonly<Record<string, string>>;
}

export interface AssetManifest {
  files?: Record<string, { source?: { path?: string; packaging?: string }; destinations?: Record<string, { objectKey?: string }> }>;
  dockerImages?: Record<string, { source?: DockerImageSource; [k: string]: unknown }>;
  [k: string]: unknown;
}

export interface DockerImageSource {
  directory?: string;
  dockerBuildArgs?: Record<string, string>;
  dockerBuildSecrets?: Record<string, string>;
  [k: string]: unknown;
}

/** What a rule found. Never carries the secret itself: messages name variables and pattern ids only. */
export interface Finding {
  readonly ruleName: string;
  readonly description: string;
  readonly fix: string;
  /** Construct path (`aws:cdk:path`), or the logical id when the template has no metadata. */
  readonly constructPath: string;
  readonly logicalId?: string;
  /** The template or asset manifest the finding is in. */
  readonly filePath: string;
  /** Slash-separated location inside the file, e.g. `Properties/ContainerDefinitions/0/Environment/2/Value`. */
  readonly location: string;
}

/** Where an environment-like binding lives. */
export type BindingSite =
  | 'container-environment'
  | 'container-secrets'
  | 'lambda-environment'
  | 'codebuild-environment'
  | 'docker-build-arg';

/** A NAME=value pair handed to a running or building thing. */
export interface EnvBinding {
  readonly site: BindingSite;
  readonly name: string;
  /** The raw value: a string, or an intrinsic ({Ref}, {Fn::Join}, ...). */
  readonly value: unknown;
  /** For CodeBuild: PLAINTEXT | PARAMETER_STORE | SECRETS_MANAGER. */
  readonly valueType?: string;
  /** For ECS: the container's name. */
  readonly container?: string;
  readonly constructPath: string;
  readonly logicalId?: string;
  readonly filePath: string;
  readonly location: string;
}

export function constructPathOf(logicalId: string, resource: CfnResource, paths?: Readonly<Record<string, string>>): string {
  const p = resource.Metadata?.['aws:cdk:path'];
  if (typeof p === 'string') return p;
  return paths?.[logicalId] ?? logicalId;
}

/** Every string leaf of a JSON value with its slash path (relative to `base`). */
export function stringLeaves(value: unknown, base = ''): Array<{ path: string; value: string }> {
  const out: Array<{ path: string; value: string }> = [];
  const walk = (v: unknown, p: string): void => {
    if (typeof v === 'string') out.push({ path: p, value: v });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, join(p, String(i))));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, join(p, k));
  };
  walk(value, base);
  return out;
}

/** Logical ids referenced by `Ref` / `Fn::GetAtt` anywhere inside `value`. */
export function referencedLogicalIds(value: unknown): string[] {
  const ids: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.Ref === 'string') ids.push(o.Ref);
      const att = o['Fn::GetAtt'];
      if (Array.isArray(att) && typeof att[0] === 'string') ids.push(att[0]);
      else if (typeof att === 'string') ids.push(att.split('.')[0]);
      Object.values(o).forEach(walk);
    }
  };
  walk(value);
  return ids;
}

export function join(base: string, key: string): string {
  return base ? `${base}/${key}` : key;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Environment variables, container secrets and CodeBuild variables of a template. */
export function templateBindings(stack: StackInput): EnvBinding[] {
  const out: EnvBinding[] = [];
  for (const [logicalId, res] of Object.entries(stack.template.Resources ?? {})) {
    const props = asRecord(res.Properties);
    const common = { constructPath: constructPathOf(logicalId, res, stack.constructPaths), logicalId, filePath: stack.templatePath };
    if (res.Type === 'AWS::ECS::TaskDefinition') {
      asArray(props.ContainerDefinitions).forEach((cd, i) => {
        const c = asRecord(cd);
        const containerName = typeof c.Name === 'string' ? c.Name : String(i);
        asArray(c.Environment).forEach((e, j) => {
          const kv = asRecord(e);
          if (typeof kv.Name !== 'string') return;
          out.push({ ...common, container: containerName, site: 'container-environment', name: kv.Name, value: kv.Value,
            location: `Properties/ContainerDefinitions/${i}/Environment/${j}` });
        });
        asArray(c.Secrets).forEach((e, j) => {
          const kv = asRecord(e);
          if (typeof kv.Name !== 'string') return;
          out.push({ ...common, container: containerName, site: 'container-secrets', name: kv.Name, value: kv.ValueFrom,
            location: `Properties/ContainerDefinitions/${i}/Secrets/${j}` });
        });
      });
    } else if (res.Type === 'AWS::Lambda::Function' || res.Type === 'AWS::Serverless::Function') {
      for (const [name, value] of Object.entries(asRecord(asRecord(props.Environment).Variables))) {
        out.push({ ...common, site: 'lambda-environment', name, value, location: `Properties/Environment/Variables/${name}` });
      }
    } else if (res.Type === 'AWS::CodeBuild::Project') {
      asArray(asRecord(props.Environment).EnvironmentVariables).forEach((e, j) => {
        const kv = asRecord(e);
        if (typeof kv.Name !== 'string') return;
        out.push({ ...common, site: 'codebuild-environment', name: kv.Name, value: kv.Value,
          valueType: typeof kv.Type === 'string' ? kv.Type : 'PLAINTEXT',
          location: `Properties/Environment/EnvironmentVariables/${j}` });
      });
    }
  }
  return out;
}

/** The build arguments of every docker image of an asset manifest. */
export function dockerBuildArgBindings(input: AssetManifestInput): EnvBinding[] {
  const out: EnvBinding[] = [];
  for (const [hash, image] of Object.entries(input.manifest.dockerImages ?? {})) {
    const args = image.source?.dockerBuildArgs ?? {};
    const constructPath = input.dockerAssetPaths?.[hash] ?? `docker image asset ${hash.slice(0, 12)}`;
    for (const [name, value] of Object.entries(args)) {
      out.push({ site: 'docker-build-arg', name, value, constructPath, filePath: input.manifestPath,
        location: `dockerImages/${hash}/source/dockerBuildArgs/${name}` });
    }
  }
  return out;
}

/** Logical ids of the template's Secrets Manager secrets (and SSM parameters, which may hold secrets). */
export function secretResourceIds(template: CfnTemplate): Set<string> {
  return new Set(
    Object.entries(template.Resources ?? {})
      .filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret' || r.Type === 'AWS::SecretsManager::SecretTargetAttachment')
      .map(([id]) => id),
  );
}

export const SITE_LABEL: Record<BindingSite, string> = {
  'container-environment': 'container environment variable',
  'container-secrets': 'container secret',
  'lambda-environment': 'Lambda environment variable',
  'codebuild-environment': 'CodeBuild environment variable',
  'docker-build-arg': 'docker build argument',
};

/** "container environment variable X of container web" style label for messages. */
export function bindingLabel(b: EnvBinding): string {
  return `${SITE_LABEL[b.site]} ${b.name}${b.container ? ` (container ${b.container})` : ''}`;
}
