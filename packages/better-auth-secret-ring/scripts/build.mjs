// Builds the package as npm installs it: ES modules with type declarations in dist/ (tsc, tsconfig.build.json).
// The sources import each other without an extension (as the repository's jest and tsc resolve them); Node's ES
// module loader and TypeScript's node16/nodenext resolution need the file's extension, so each relative specifier of
// the output gets its `.js`.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });

// The repository's TypeScript (a devDependency here, installed at the repository's root).
const tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
// Everything it prints goes to stderr: `npm pack --json` keeps stdout for its JSON.
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: ['ignore', process.stderr, process.stderr] });

const RELATIVE = /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+?)(?<!\.js)\2/g;
for (const file of fs.readdirSync(dist, { recursive: true })) {
  const full = path.join(dist, String(file));
  if (!/\.(js|d\.ts)$/.test(full)) continue;
  const text = fs.readFileSync(full, 'utf8');
  fs.writeFileSync(
    full,
    text.replace(RELATIVE, (_, lead, quote, specifier) => `${lead}${quote}${specifier}.js${quote}`),
  );
}
console.error(`built ${path.relative(process.cwd(), dist) || 'dist'}`);
