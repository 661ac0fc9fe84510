import {
  MANAGED_SECRET_NAMES,
  BROWSER_ENV_PREFIX,
  SECRET_ARN,
  findSecretValue,
  isBrowserEnvName,
  isSecretDynamicReference,
  isSecretName,
  normalizeName,
} from '../secret-patterns';
import { candidateStrings } from '../intrinsics';
import { EnvBinding, bindingLabel, bindingPlace, referencedLogicalIds } from '../model';
import type { Found, GuardrailRule } from '../rule';

export const BROWSER_ENV_SECRET = 'FLEAPO-BROWSER-ENV-SECRET';

const FIX =
  'VITE_* variables are bundled into the SPA and shipped to every browser: never bind them to a secret. ' +
  'Keep the secret on the server (ECS `secrets`, read at run time) and give the frontend only public values ' +
  '(e.g. VITE_API_BASE_URL). If the value is really public, give it a name and a source that do not look secret.';

/** Why a VITE_ binding is bound to a secret, or undefined when it is fine. */
export function browserEnvSecretReason(b: EnvBinding, secretIds: ReadonlySet<string> = new Set()): string | undefined {
  if (!isBrowserEnvName(b.name)) return undefined;
  const rest = normalizeName(b.name.slice(BROWSER_ENV_PREFIX.length));
  if (isSecretName(rest) || MANAGED_SECRET_NAMES.some((n) => rest.includes(n))) {
    return 'the name is that of a secret';
  }
  if (b.source === 'secret-store') return `it is read from Secrets Manager / SSM (${b.site})`;
  const strings = candidateStrings(b.value, b.template);
  if (b.source === 'parameter-store' && strings.some((s) => /secret|password|token|private|api[-_]?key/i.test(s))) {
    return 'it is read from an SSM parameter that looks like a secret';
  }
  if (strings.some(isSecretDynamicReference)) return 'its value is a secret dynamic reference';
  if (strings.some((s) => SECRET_ARN.test(s))) return 'its value is a secret / parameter ARN';
  if (referencedLogicalIds(b.value).some((id) => secretIds.has(id))) return 'its value references a Secrets Manager secret';
  const hit = strings.map((s) => findSecretValue(s)).find((p) => p !== undefined);
  if (hit) return `its value looks like ${hit.description}`;
  return undefined;
}

/** Any `VITE_*` variable (any site of the environment table, or a docker build arg) bound to a secret. */
export function browserEnvSecretRule(bindings: readonly EnvBinding[], secretIds: ReadonlySet<string> = new Set()): Found[] {
  const out: Found[] = [];
  for (const b of bindings) {
    const reason = browserEnvSecretReason(b, secretIds);
    if (!reason) continue;
    out.push({ ...bindingPlace(b), problem: `${bindingLabel(b)} is a browser (VITE_*) variable bound to a secret: ${reason}.` });
  }
  return out;
}

/** {@link browserEnvSecretRule} in the registry: over each stack's bindings, and over docker build arguments. */
export const browserEnvSecret: GuardrailRule = {
  id: BROWSER_ENV_SECRET,
  fix: FIX,
  checkStack: ({ bindings, secretIds }) => browserEnvSecretRule(bindings, secretIds),
  checkManifests: ({ buildArgBindings }) => browserEnvSecretRule(buildArgBindings),
};
