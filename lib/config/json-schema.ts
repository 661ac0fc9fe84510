/**
 * The configuration's schema as a JSON Schema (draft 2020-12), for an editor to complete and check the team's
 * configuration file (`"$schema": ".../fleapo-config.schema.json"`). `npm run config:schema` writes it; a test keeps
 * the committed file equal to what this returns.
 *
 * The team's file is a JSON Merge Patch over the example defaults, so the JSON Schema describes a patch: every
 * field is optional and may be `null` (which removes it), and every unknown field is refused. What only the
 * full configuration can tell (a field missing after the merge, checks across fields) is checked at synth.
 */
import { z } from 'zod';
import { configObjectSchema } from './schema';

/** The file `npm run config:schema` writes, at the repository's root. */
export const CONFIG_SCHEMA_FILE = 'fleapo-config.schema.json';

type JsonSchema = { [key: string]: unknown };

/** The JSON Schema of the team's configuration file. */
export function configJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(configObjectSchema, { io: 'input', target: 'draft-2020-12' }) as JsonSchema;
  const { $schema, ...rest } = asPatch(schema);
  return {
    $schema,
    title: 'fleapo secrets configuration',
    ...rest,
    description:
      "The team's fleapo configuration: a JSON Merge Patch (RFC 7396) over the example defaults. Objects merge field by " +
      'field, lists and values replace, null removes a field (or an environment). Unknown fields are errors.',
  };
}

/** Every object's fields optional and nullable (a patch), recursively. */
function asPatch(schema: JsonSchema): JsonSchema {
  const result: JsonSchema = { ...schema };
  delete result.required;
  if (isSchema(result.properties)) {
    const properties = Object.entries(result.properties).map(([key, value]) => [key, nullable(asPatch(value as JsonSchema))]);
    result.properties = Object.fromEntries(properties);
  }
  if (isSchema(result.additionalProperties)) result.additionalProperties = nullable(asPatch(result.additionalProperties));
  if (isSchema(result.items)) result.items = asPatch(result.items);
  return result;
}

/** `schema` or `null`, its description kept on top (where editors show it). */
function nullable(schema: JsonSchema): JsonSchema {
  const { description, ...rest } = schema;
  return { ...(description === undefined ? {} : { description }), anyOf: [rest, { type: 'null' }] };
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
