import * as fs from 'fs';
import * as path from 'path';

/** A CloudFormation template as JSON. */
/** A synthesized CloudFormation template: untyped JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Template = { [key: string]: any };

/** The stacks of a cloud assembly: display name (e.g. `Fleapo-prod`, `Stage/Stack`) -> template. */
export type AssemblyTemplates = Record<string, Template>;

interface ManifestArtifact {
  type: string;
  displayName?: string;
  properties?: { templateFile?: string; directoryName?: string; stackName?: string };
}

/**
 * Reads every stack template of a synthesized cloud assembly (`cdk.out`), nested assemblies
 * (Stages) included. A missing directory or manifest is an empty assembly: a base ref that has
 * no app yet has no stacks, so every head stack is reported as added.
 */
export function readAssemblyTemplates(dir: string | undefined): AssemblyTemplates {
  const out: AssemblyTemplates = {};
  if (!dir) return out;
  const manifestPath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) return out;
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { artifacts?: Record<string, ManifestArtifact> };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      out[artifact.displayName ?? id] = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8'));
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      Object.assign(out, readAssemblyTemplates(path.join(dir, artifact.properties.directoryName)));
    }
  }
  return out;
}
