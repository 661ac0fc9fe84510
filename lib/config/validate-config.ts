import { z } from 'zod';
import type { FleapoConfig } from './environment-config';
import { configObjectSchema, configSchema, WHOLE_MESSAGE } from './schema';
import { closest } from './suggest';

export { checkRotationCron, DEFAULT_CDK_QUALIFIER } from './schema';

/** A configuration that cannot be synthesized. The message names every bad environment and field. */
export class ConfigError extends Error {
  /** `header`: the line above the problems. */
  constructor(
    readonly problems: string[],
    header = 'Invalid fleapo configuration:',
  ) {
    super(`${header}\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the raw configuration (`{ environments: { NAME: {...} }, accounts: { ID: {...} } }`, the defaults with
 * the team's file merged in) against the schema and returns it typed, or throws a `ConfigError` listing every
 * problem at once, each naming the environment and field: a missing or malformed field, an unknown one (with the
 * known field it is likely a typo of), a check across fields.
 */
export function validateConfig(raw: unknown): FleapoConfig {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(describeIssues(result.error.issues, raw));
}

/** One line per problem, in the order of the configuration. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): string[] {
  const mistyped = mistypedEnvironments(issues, raw);
  const problems: string[] = [...mistyped.values()];
  for (const issue of issues) {
    if (issue.path[0] === 'environments' && mistyped.has(String(issue.path[1]))) continue;
    problems.push(...describeIssue(issue));
  }
  return problems;
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const { base, rest } = locate(issue.path);
  const where = base + rest.map((key) => `.${String(key)}`).join('');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(issue.path);
      return issue.keys.map((key) => {
        const suggestion = closest(key, known);
        return `${where}: unknown field "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
      });
    }
    case 'invalid_key':
      return [`${where}: ${issue.issues[0]?.message ?? issue.message}`];
    case 'custom':
      if ((issue.params as typeof WHOLE_MESSAGE | undefined)?.whole) {
        return [issue.path.length === 0 ? issue.message : `${where}: ${issue.message}`];
      }
  }
  const got = `(got ${describeValue(issue.input)})`;
  const field = fieldOf(rest);
  if (field === undefined) return [`${base}: must be ${issue.message} ${got}`];
  const owner =
    base +
    rest
      .slice(0, field.start)
      .map((key) => `.${String(key)}`)
      .join('');
  return [`${owner}: field "${field.name}" must be ${issue.message} ${got}`];
}

/** Where a path is: the environment (`environment "prod"`), the account (`accounts.ID`) or the configuration, and below. */
function locate(path: readonly PropertyKey[]): { base: string; rest: readonly PropertyKey[] } {
  if (path[0] === 'environments' && path.length >= 2) return { base: `environment "${String(path[1])}"`, rest: path.slice(2) };
  if (path[0] === 'accounts' && path.length >= 2) return { base: `accounts.${String(path[1])}`, rest: path.slice(2) };
  return { base: 'the configuration', rest: path };
}

/** The field a path ends in, with its list indices (`availabilityZones[0]`), and where it starts in the path. */
function fieldOf(rest: readonly PropertyKey[]): { name: string; start: number } | undefined {
  let start = rest.length - 1;
  while (start >= 0 && typeof rest[start] === 'number') start--;
  if (start < 0) return undefined;
  return {
    name:
      String(rest[start]) +
      rest
        .slice(start + 1)
        .map((i) => `[${String(i)}]`)
        .join(''),
    start,
  };
}

/** The fields the schema knows at `path` (for "did you mean"). */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = configObjectSchema;
  for (const key of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) schema = schema.shape[String(key)] as z.core.$ZodType | undefined;
    else if (schema instanceof z.ZodRecord) schema = schema._zod.def.valueType;
    else return [];
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  while (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) schema = schema._zod.def.innerType;
  return schema;
}

/**
 * Environments that are likely a mistyped name of another one (`staginng` beside `staging`): the team's file,
 * merged over the defaults, then adds an environment that lacks fields. One problem for each, instead of every
 * missing field.
 */
function mistypedEnvironments(issues: readonly z.core.$ZodIssue[], raw: unknown): Map<string, string> {
  const result = new Map<string, string>();
  const environments = isObject(raw) && isObject(raw.environments) ? Object.keys(raw.environments) : [];
  for (const name of environments) {
    const missing = issues
      .filter((i) => i.code === 'invalid_type' && i.input === undefined && i.path.length === 3)
      .filter((i) => i.path[0] === 'environments' && i.path[1] === name)
      .map((i) => `"${String(i.path[2])}"`);
    const suggestion =
      missing.length > 0
        ? closest(
            name,
            environments.filter((other) => other !== name),
          )
        : undefined;
    if (suggestion) {
      const problem = `environment "${name}" is not a configured environment (did you mean "${suggestion}"?)`;
      result.set(name, `${problem}; a new environment must give every field, and this one lacks ${missing.join(', ')}`);
    }
  }
  return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value for a message: JSON, at most 80 characters (configuration values are never secrets). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
