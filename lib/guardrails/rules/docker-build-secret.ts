import { findSecretValue, isBrowserEnvName, isSecretDynamicReference, isSecretName, SECRET_ARN } from '../secret-patterns';
import { AssetManifestInput, EnvBinding, bindingPlace } from '../model';
import { dockerBuildArgBindings } from '../bindings';
import type { Found, GuardrailRule } from '../rule';

export const DOCKER_BUILD_SECRET = 'FLEAPO-DOCKER-BUILD-SECRET';

const FIX =
  'Do not bake secrets into images: build arguments end up in the image history and layers. ' +
  'Remove the build argument and give the secret to the running container instead (ECS `secrets`). ' +
  'If the build itself needs a credential (e.g. a private registry token), use a BuildKit build secret ' +
  '(`buildSecrets: { id: DockerBuildSecret.fromSrc(path) }` + `RUN --mount=type=secret`) and never COPY it into a layer.';

/** The fix of a build secret given as a literal (the build arguments' is {@link FIX}). */
const LITERAL_BUILD_SECRET_FIX =
  'Give build secrets by file or environment (`DockerBuildSecret.fromSrc(path)`), never as a literal in the app.';

/** Why a docker build argument carries a secret, or undefined. VITE_* args are left to the browser rule. */
export function dockerBuildArgReason(b: EnvBinding): string | undefined {
  if (isBrowserEnvName(b.name)) return undefined;
  if (isSecretName(b.name)) return 'it is named like a secret';
  const v = typeof b.value === 'string' ? b.value : JSON.stringify(b.value);
  if (isSecretDynamicReference(v)) return 'its value is a secret dynamic reference';
  if (SECRET_ARN.test(v)) return 'its value is a secret / parameter ARN';
  const hit = findSecretValue(v);
  if (hit) return `its value looks like ${hit.description}`;
  return undefined;
}

/**
 * Docker images the app builds (DockerImageAsset, ContainerImage.fromAsset) that receive a secret
 * through a build argument, or a build secret given as a literal secret value.
 */
export function dockerBuildSecretRule(manifests: readonly AssetManifestInput[]): Found[] {
  const out: Found[] = [];
  for (const m of manifests) {
    for (const b of dockerBuildArgBindings(m)) {
      const reason = dockerBuildArgReason(b);
      if (!reason) continue;
      out.push({ ...bindingPlace(b), problem: `docker build argument ${b.name} bakes a secret into the image (${reason}).` });
    }
    for (const [hash, image] of Object.entries(m.manifest.dockerImages ?? {})) {
      const constructPath = m.dockerAssetPaths?.[hash] ?? `docker image asset ${hash.slice(0, 12)}`;
      for (const [id, spec] of Object.entries(image.source?.dockerBuildSecrets ?? {})) {
        const hit = typeof spec === 'string' ? findSecretValue(spec) : undefined;
        if (!hit) continue;
        out.push({
          constructPath,
          filePath: m.manifestPath,
          location: `dockerImages/${hash}/source/dockerBuildSecrets/${id}`,
          problem: `docker build secret ${id} is given as a literal value that looks like ${hit.description}.`,
          fix: LITERAL_BUILD_SECRET_FIX,
        });
      }
    }
  }
  return out;
}

/** {@link dockerBuildSecretRule} in the registry. */
export const dockerBuildSecret: GuardrailRule = {
  id: DOCKER_BUILD_SECRET,
  fix: FIX,
  checkManifests: ({ manifests }) => dockerBuildSecretRule(manifests),
};
