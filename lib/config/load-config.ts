import * as fs from 'fs';
import { CONFIG_CONTEXT, CONFIG_FILE_CONTEXT, CONFIG_FILE_ENV, REQUIRE_TEAM_CONFIG_ENV, unknownSourceNames } from './config-sources';
import type { FleapoConfig } from './environment-config';
import { EXAMPLE_CONFIG } from './example-config';
import { mergePatch } from './json-merge-patch';
import { placeholdersLeft } from './placeholders';
import { ConfigError, validateConfig } from './validate-config';

/** Where cdk context comes from: a construct's `node` (the app's), or nothing outside a synth. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
  /** Every context value (to refuse unknown `fleapo:*` keys); a construct's `node` has it. */
  getAllContext?(): Record<string, unknown>;
}

const NO_CONTEXT: ContextSource = { tryGetContext: () => undefined };

/** Options of {@link loadConfigWithSource}. */
export interface LoadConfigOptions {
  /** The process environment (`FLEAPO_CONFIG_FILE`, and every `FLEAPO_*` name checked). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** A configuration file given explicitly (the CLI's `--config`): it wins over the context and the variable. */
  readonly configFile?: { readonly path: string; readonly from: string };
}

/** A team's override of the example configuration, and where it came from. */
interface Override {
  /** e.g. `file fleapo.json (FLEAPO_CONFIG_FILE)`, `context fleapo:config`. */
  readonly label: string;
  readonly patch: unknown;
}

/** The configuration and what it was loaded from. */
export interface LoadedConfig {
  readonly config: FleapoConfig;
  /** The team's sources in the order they applied, e.g. `file fleapo.json (FLEAPO_CONFIG_FILE)`; empty: the example. */
  readonly sources: readonly string[];
}

/**
 * The configuration of this synth (or, with no context, of the operator tools): the example configuration,
 * overridden by the team's JSON file (`-c fleapo:configFile=...` or `FLEAPO_CONFIG_FILE`), then by
 * `-c fleapo:config=...`; validated. Each applies as a JSON Merge Patch (RFC 7396): objects merge field by field,
 * lists and values replace, and `null` removes a field (e.g. an environment).
 *
 * It cannot half-apply: a team configuration (any override) must give every placeholder field of the example
 * (`PLACEHOLDER_FIELDS`) in each environment it keeps, and an unknown `fleapo:*` context key or `FLEAPO_*` variable
 * (a typo of a source's name, which would silently load the example) is refused; with `FLEAPO_REQUIRE_TEAM_CONFIG`
 * (the deploy workflow) the example itself is. Throws a `ConfigError` that lists every problem.
 */
export function loadConfigWithSource(node: ContextSource = NO_CONTEXT, options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const unknown = unknownSourceNames(Object.keys(node.getAllContext?.() ?? {}), env);
  if (unknown.length > 0) throw new ConfigError(unknown);

  const overrides: Override[] = [];
  const file = fileSource(node, env, options.configFile);
  if (file) overrides.push({ label: `file ${file.path} (${file.from})`, patch: readJsonFile(file.path) });
  const inline = node.tryGetContext(CONFIG_CONTEXT);
  if (inline !== undefined) {
    const patch = typeof inline === 'string' ? parseJson(inline, `context ${CONFIG_CONTEXT}`) : inline;
    overrides.push({ label: `context ${CONFIG_CONTEXT}`, patch });
  }

  if (overrides.length === 0 && /^(true|1)$/.test(env[REQUIRE_TEAM_CONFIG_ENV] ?? '')) {
    throw new ConfigError([
      `no team configuration (${REQUIRE_TEAM_CONFIG_ENV} refuses the example, whose accounts and ids are placeholders): ` +
        `give it with -c ${CONFIG_FILE_CONTEXT}=FILE or ${CONFIG_FILE_ENV}=FILE`,
    ]);
  }
  const merged = overrides.reduce((config, override) => mergeConfig(config, override.patch), EXAMPLE_CONFIG as unknown);
  const left = placeholdersLeft(
    merged,
    overrides.map((o) => o.patch),
  );
  if (overrides.length > 0 && left.length > 0) {
    throw new ConfigError(
      left,
      `Invalid fleapo configuration: ${overrides.map((o) => o.label).join(', then ')} leaves the example's placeholder ` +
        'values in these fields of environments it deploys; give each one (or remove an environment with "<name>": null):',
    );
  }
  return { config: validateConfig(merged), sources: overrides.map((o) => o.label) };
}

/** {@link loadConfigWithSource}'s configuration alone. */
export function loadConfig(node: ContextSource = NO_CONTEXT, options: LoadConfigOptions = {}): FleapoConfig {
  return loadConfigWithSource(node, options).config;
}

/**
 * The one line that says which configuration is in effect: its sources and each environment's account and region.
 * For the example, that it is the example and how to give the team's own.
 */
export function describeLoadedConfig(loaded: LoadedConfig): string {
  const environments = loaded.config.environments.map((e) => `${e.name} ${e.account}/${e.region}`).join(', ');
  if (loaded.sources.length === 0) {
    return (
      `fleapo configuration: the EXAMPLE (lib/config/example-config.ts, placeholder values), no team configuration: ${environments}. ` +
      `Give yours with -c ${CONFIG_FILE_CONTEXT}=FILE or ${CONFIG_FILE_ENV}=FILE.`
    );
  }
  return `fleapo configuration: ${loaded.sources.join(', then ')}: ${environments}`;
}

/** The team's file: given explicitly, else the context key, else the variable (an empty variable is none). */
function fileSource(
  node: ContextSource,
  env: NodeJS.ProcessEnv,
  explicit: LoadConfigOptions['configFile'],
): { path: string; from: string } | undefined {
  if (explicit) return explicit;
  const fromContext = node.tryGetContext(CONFIG_FILE_CONTEXT);
  if (fromContext !== undefined && fromContext !== '') return { path: String(fromContext), from: `context ${CONFIG_FILE_CONTEXT}` };
  const fromEnv = env[CONFIG_FILE_ENV];
  if (fromEnv) return { path: fromEnv, from: CONFIG_FILE_ENV };
  return undefined;
}

/** How an override applies over the configuration: JSON Merge Patch (RFC 7396), see `json-merge-patch.ts`. */
export const mergeConfig: (base: unknown, override: unknown) => unknown = mergePatch;

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`cannot read the configuration file "${file}": ${(e as NodeJS.ErrnoException).code ?? e}`]);
  }
  return parseJson(text, `configuration file "${file}"`);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`the ${source} is not valid JSON: ${(e as Error).message}`]);
  }
}
