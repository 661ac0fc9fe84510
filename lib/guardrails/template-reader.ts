/**
 * Reads every template of a cloud assembly, not only the top-level stacks CDK hands to a
 * validation plugin:
 *
 * - the stacks of every nested assembly (a `Stage`: artifacts of type `cdk:cloud-assembly` in
 *   `manifest.json`, each in its own directory);
 * - the template of every nested stack (`NestedStack`), at any depth. CDK writes it as a file asset
 *   beside its parent (`<Parent><Id><hash>.nested.template.json`), listed in the asset manifest
 *   (`*.assets.json` `files`) and referenced from the parent's `AWS::CloudFormation::Stack` through its
 *   `TemplateURL` (which ends with the asset's object key) and, when asset metadata is on, its
 *   `aws:asset:path` metadata. Legacy synthesis lists it as `aws:cdk:asset` metadata in `manifest.json`.
 *
 * Every template any of these name is read, once.
 */
import * as fs from 'fs';
import * as path from 'path';
import { candidateStrings } from './intrinsics';
import { AssetManifestInput, CfnTemplate, StackInput, constructPathOf } from './model';

/** The templates and asset manifests of an assembly, ready for {@link evaluateGuardrails}. */
export interface AssemblyInput {
  readonly stacks: StackInput[];
  readonly manifests: AssetManifestInput[];
}

export interface ReadAssemblyOptions {
  /** Construct path by template file name, then logical id (see `logicalIdPaths`). */
  readonly constructPaths?: ReadonlyMap<string, Record<string, string>>;
  /** Construct path of each docker image asset, by asset hash. */
  readonly dockerAssetPaths?: Readonly<Record<string, string>>;
}

interface FileAsset {
  readonly file: string;
  /** The object key and hash it is published under (what a TemplateURL ends with). */
  readonly keys: readonly string[];
}

/** Every template reachable from `templatePaths` (nested assemblies, nested stacks), and every asset manifest beside them. */
export function readAssembly(templatePaths: readonly string[], options: ReadAssemblyOptions = {}): AssemblyInput {
  const dirs = new Set<string>();
  const queue: Array<{ file: string; nestedIn?: string }> = templatePaths.map((p) => ({ file: path.resolve(p) }));
  for (const p of queue) dirs.add(path.dirname(p.file));

  // Nested assemblies (stages) and what manifest.json lists.
  const legacyTemplateAssets: string[] = [];
  /** The asset manifests `manifest.json` lists, by directory: only these are current (cdk.out may hold stale files). */
  const listedAssetManifests = new Map<string, Set<string>>();
  const seenDirs = new Set<string>();
  const walkAssembly = (dir: string): void => {
    if (seenDirs.has(dir)) return;
    seenDirs.add(dir);
    dirs.add(dir);
    const manifest = readJson(path.join(dir, 'manifest.json')) as { artifacts?: Record<string, Artifact> } | undefined;
    for (const artifact of Object.values(manifest?.artifacts ?? {})) {
      const props = artifact.properties ?? {};
      if (artifact.type === 'cdk:cloud-assembly' && typeof props.directoryName === 'string')
        walkAssembly(path.join(dir, props.directoryName));
      if (artifact.type === 'aws:cloudformation:stack' && typeof props.templateFile === 'string')
        queue.push({ file: path.join(dir, props.templateFile) });
      if (artifact.type === 'cdk:asset-manifest' && typeof props.file === 'string') {
        listedAssetManifests.set(dir, (listedAssetManifests.get(dir) ?? new Set()).add(path.join(dir, props.file)));
      }
      for (const entries of Object.values(artifact.metadata ?? {})) {
        for (const entry of entries) {
          const data = entry.data as { packaging?: string; path?: string } | undefined;
          if (entry.type === 'aws:cdk:asset' && data?.packaging === 'file' && data.path?.endsWith('.template.json')) {
            legacyTemplateAssets.push(path.join(dir, data.path));
          }
        }
      }
    }
  };
  for (const dir of [...dirs]) walkAssembly(dir);

  const manifests = readAssetManifests([...dirs], options.dockerAssetPaths).filter((m) => {
    const listed = listedAssetManifests.get(path.dirname(m.manifestPath));
    return !listed || listed.has(m.manifestPath);
  });
  const fileAssets: FileAsset[] = manifests.flatMap((m) =>
    Object.entries(m.manifest.files ?? {}).flatMap(([hash, asset]) => {
      const source = asset.source;
      if (!source || typeof source.path !== 'string' || (source.packaging && source.packaging !== 'file')) return [];
      const keys = [
        hash,
        ...Object.values(asset.destinations ?? {})
          .map((d) => d.objectKey)
          .filter((k): k is string => typeof k === 'string'),
      ];
      return [{ file: path.join(path.dirname(m.manifestPath), source.path), keys }];
    }),
  );

  const stacks: StackInput[] = [];
  const read = new Set<string>();
  const visit = (file: string, nestedIn?: string, required = false): void => {
    if (read.has(file)) return;
    const template = readJson(file) as CfnTemplate | undefined;
    if (!template || typeof template !== 'object') {
      if (required) throw new Error(`SecretGuardrails: cannot read the template ${file} (missing or not JSON)`);
      return;
    }
    read.add(file);
    const constructPaths = options.constructPaths?.get(path.basename(file));
    stacks.push({ templatePath: file, template, constructPaths, ...(nestedIn ? { nestedIn } : {}) });
    for (const [logicalId, res] of Object.entries(template.Resources ?? {})) {
      if (res.Type !== 'AWS::CloudFormation::Stack') continue;
      const stackPath = constructPathOf(logicalId, res, constructPaths);
      for (const nested of nestedTemplateFiles(res, path.dirname(file), fileAssets)) visit(nested, stackPath);
    }
  };
  for (const q of queue) visit(q.file, q.nestedIn, true);
  // Templates listed as assets but referenced by no TemplateURL we could read (e.g. a TemplateURL made of parameters).
  for (const asset of fileAssets) if (asset.file.endsWith('.template.json')) visit(asset.file);
  for (const file of legacyTemplateAssets) visit(file);

  return { stacks, manifests };
}

/** The template files an `AWS::CloudFormation::Stack` resource points at. */
function nestedTemplateFiles(
  res: { Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> },
  dir: string,
  assets: readonly FileAsset[],
): string[] {
  const out: string[] = [];
  const assetPath = res.Metadata?.['aws:asset:path'];
  if (typeof assetPath === 'string') out.push(path.resolve(dir, assetPath));
  const urls = candidateStrings(res.Properties?.TemplateURL);
  for (const asset of assets) {
    if (asset.keys.some((k) => urls.some((u) => u.includes(k)))) out.push(asset.file);
  }
  return out;
}

/** Every `*.assets.json` in the given assembly directories. */
export function readAssetManifests(dirs: readonly string[], dockerAssetPaths: Readonly<Record<string, string>> = {}): AssetManifestInput[] {
  return [...new Set(dirs)].flatMap((dir) => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return [];
    }
    return names
      .filter((f) => f.endsWith('.assets.json'))
      .flatMap((f) => {
        const manifestPath = path.join(dir, f);
        const manifest = readJson(manifestPath);
        return manifest ? [{ manifestPath, manifest: manifest as AssetManifestInput['manifest'], dockerAssetPaths }] : [];
      });
  });
}

interface Artifact {
  type?: string;
  properties?: Record<string, unknown>;
  metadata?: Record<string, Array<{ type?: string; data?: unknown }>>;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
