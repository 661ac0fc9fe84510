/**
 * Where the configuration's overrides come from (lib/config/load-config.ts reads them). A module of its own, with no
 * dependency, so that what only needs the names (the synth's start in bin/app.ts) does not load the schema.
 */

/** cdk context key: path of a JSON file whose fields override the example configuration. */
export const CONFIG_FILE_CONTEXT = 'fleapo:configFile';
/** Environment variable alternative to the context key above. */
export const CONFIG_FILE_ENV = 'FLEAPO_CONFIG_FILE';
/** cdk context key: an object (or JSON text) whose fields override the configuration, applied last. */
export const CONFIG_CONTEXT = 'fleapo:config';
