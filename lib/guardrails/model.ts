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

/** Where something is: its construct, and the place in a synthesized file. */
export interface FindingPlace {
  /** Construct path (`aws:cdk:path`), or the logical id when the template has no metadata. */
  readonly constructPath: string;
  readonly logicalId?: string;
  /** The template or asset manifest the finding is in. */
  readonly filePath: string;
  /** Slash-separated location inside the file, e.g. `Properties/ContainerDefinitions/0/Environment/2/Value`. */
  readonly location: string;
}

/**
 * One reported violation, built by `reportFinding` (`rule.ts`) from a rule's metadata and what it found. Never
 * carries the secret itself: messages name variables and pattern ids only.
 */
export interface Finding extends FindingPlace {
  readonly ruleName: string;
  readonly description: string;
  readonly fix: string;
}

/**
 * Where a binding's value comes from: `plain` text in the resource's configuration (readable by
 * anyone who can describe it), a `secret-store` reference (ECS `secrets`, CodeBuild SECRETS_MANAGER,
 * ...) or an SSM `parameter-store` reference, or a docker `build-arg` baked into an image.
 */
export type BindingSource = 'plain' | 'secret-store' | 'parameter-store' | 'build-arg';

/** A NAME=value pair handed to a running or building thing, and where it is (the binding's place). */
export interface EnvBinding extends FindingPlace {
  /** What it is, for messages: "container environment variable", "App Runner secret", ... */
  readonly site: string;
  readonly source: BindingSource;
  readonly name: string;
  /** The raw value: a string, or an intrinsic ({Ref}, {Fn::Join}, ...). */
  readonly value: unknown;
  /** For CodeBuild-style variables: PLAINTEXT | PARAMETER_STORE | SECRETS_MANAGER. */
  readonly valueType?: string;
  /** Who receives it, for messages: "container web". */
  readonly owner?: string;
  /** How to hand a secret there instead. */
  readonly fix?: string;
  /** The template the value is in (its Mappings), for assembling intrinsics. */
  readonly template?: CfnTemplate;
}

/** The place of a binding, without its value (so a finding can never carry the value along). */
export function bindingPlace(b: EnvBinding): FindingPlace {
  return { constructPath: b.constructPath, logicalId: b.logicalId, filePath: b.filePath, location: b.location };
}

export function constructPathOf(logicalId: string, resource: CfnResource, paths?: Readonly<Record<string, string>>): string {
  const p = resource.Metadata?.['aws:cdk:path'];
  if (typeof p === 'string') return p;
  return paths?.[logicalId] ?? logicalId;
}

/** The construct path of a resource of a stack; in a nested stack's template with no paths, under the nested stack. */
export function resourcePath(stack: StackInput, logicalId: string, resource: CfnResource): string {
  const p = constructPathOf(logicalId, resource, stack.constructPaths);
  return p === logicalId && stack.nestedIn ? `${stack.nestedIn}/${logicalId}` : p;
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

/** "container environment variable X (container web)" style label for messages. */
export function bindingLabel(b: EnvBinding): string {
  return `${b.site} ${b.name}${b.owner ? ` (${b.owner})` : ''}`;
}
