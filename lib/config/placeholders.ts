import { EXAMPLE_CONFIG, PLACEHOLDER_FIELDS } from './example-config';

/**
 * The placeholder fields (`PLACEHOLDER_FIELDS`) of the example that a team's overrides leave in the environments of
 * the merged configuration: one line per environment, `environment "prod": network.vpcId, database.host`. A field is
 * given when an override sets it (to any value but `null`, even the example's own); an environment the example does
 * not have is the team's own and gives every field anyway.
 */
export function placeholdersLeft(merged: unknown, overrides: readonly unknown[]): string[] {
  const environments = field(merged, ['environments']);
  if (!isObject(environments)) return [];
  const problems: string[] = [];
  for (const name of Object.keys(environments)) {
    if (!Object.hasOwn(EXAMPLE_CONFIG.environments, name)) continue;
    const left = PLACEHOLDER_FIELDS.filter((path) => {
      const at = ['environments', name, ...path.split('.')];
      return !overrides.some((override) => given(override, at));
    });
    if (left.length > 0) problems.push(`environment "${name}": ${left.join(', ')}`);
  }
  return problems;
}

/** Whether `patch` sets the field at `path`, or replaces something on the way with a value that is not an object. */
function given(patch: unknown, path: readonly string[]): boolean {
  let at = patch;
  for (const key of path) {
    if (!isObject(at)) return at !== undefined && at !== null;
    if (!Object.hasOwn(at, key)) return false;
    at = at[key];
  }
  return at !== null && at !== undefined;
}

function field(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) at = isObject(at) ? at[key] : undefined;
  return at;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
