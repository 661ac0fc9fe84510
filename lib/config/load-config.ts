import * as fs from 'fs';
import { CONFIG_CONTEXT, CONFIG_FILE_CONTEXT, CONFIG_FILE_ENV } from './config-sources';
import type { FleapoConfig } from './environment-config';
import { EXAMPLE_CONFIG } from './example-config';
import { mergePatch } from './json-merge-patch';
import { ConfigError, validateConfig } from './validate-config';

/** Where cdk context comes from: a construct's `node` (the app's), or nothing outside a synth. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
}

const NO_CONTEXT: ContextSource = { tryGetContext: () => undefined };

/**
 * The configuration of this synth (or, with no context, of the operator tools): the example configuration,
 * overridden by the team's JSON file
 * (`-c fleapo:configFile=...` or `FLEAPO_CONFIG_FILE`), then by `-c fleapo:config=...`; validated.
 * Each applies as a JSON Merge Patch (RFC 7396): objects merge field by field, lists and values replace, and `null`
 * removes a field (e.g. an environment).
 */
export function loadConfig(node: ContextSource = NO_CONTEXT): FleapoConfig {
  let merged: unknown = EXAMPLE_CONFIG;
  const file = node.tryGetContext(CONFIG_FILE_CONTEXT) ?? process.env[CONFIG_FILE_ENV];
  if (file) merged = mergeConfig(merged, readJsonFile(String(file)));
  const inline = node.tryGetContext(CONFIG_CONTEXT);
  if (inline !== undefined)
    merged = mergeConfig(merged, typeof inline === 'string' ? parseJson(inline, `context ${CONFIG_CONTEXT}`) : inline);
  return validateConfig(merged);
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
