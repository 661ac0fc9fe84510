/**
 * The extraction of what the rules read from parsed files, apart from the model's types (`model.ts`): the
 * NAME=value bindings of docker build arguments, and which resources are secrets. (The bindings of template
 * resources come from the environment table, `env-sites.ts`.)
 */
import { templateBindings } from './env-sites';
import type { AssetManifestInput, CfnTemplate, EnvBinding, StackInput } from './model';
import type { ManifestsContext, StackContext } from './rule';

/** The build arguments of every docker image of an asset manifest. */
export function dockerBuildArgBindings(input: AssetManifestInput): EnvBinding[] {
  const out: EnvBinding[] = [];
  for (const [hash, image] of Object.entries(input.manifest.dockerImages ?? {})) {
    const args = image.source?.dockerBuildArgs ?? {};
    const constructPath = input.dockerAssetPaths?.[hash] ?? `docker image asset ${hash.slice(0, 12)}`;
    for (const [name, value] of Object.entries(args)) {
      out.push({
        site: 'docker build argument',
        source: 'build-arg',
        name,
        value,
        constructPath,
        filePath: input.manifestPath,
        location: `dockerImages/${hash}/source/dockerBuildArgs/${name}`,
      });
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

/** What every rule sees of one stack, extracted once. */
export function stackContext(stack: StackInput): StackContext {
  return { stack, bindings: templateBindings(stack), secretIds: secretResourceIds(stack.template) };
}

/** What every rule sees of the asset manifests, extracted once. */
export function manifestsContext(manifests: readonly AssetManifestInput[]): ManifestsContext {
  return { manifests, buildArgBindings: manifests.flatMap(dockerBuildArgBindings) };
}
