/**
 * `npm run config:schema`: writes the configuration's JSON Schema (lib/config/json-schema.ts) to
 * fleapo-config.schema.json at the repository's root, for the `"$schema"` line of the team's configuration file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_SCHEMA_FILE, configJsonSchema } from '../lib/config/json-schema';

/** The file's text: what the test compares the committed file with. */
export function configSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  const file = path.join(__dirname, '..', CONFIG_SCHEMA_FILE);
  fs.writeFileSync(file, configSchemaText());
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
