import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** The project root (bin/, lib/, catalog/, lambda/). */
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** What a synth's templates are made from: these folders' files, and these files. */
const SOURCE_DIRS = ['bin', 'lib', 'catalog', 'lambda'];
const SOURCE_FILES = ['package-lock.json', 'cdk.json', 'cdk.context.json', 'tsconfig.json'];
/** Where the fingerprint of the last synth into a cloud assembly is kept, inside it. */
export const LAST_SYNTH_FILE = '.fleapo-cache/last-synth-inputs.json';

function files(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => (e.isDirectory() ? (e.name === 'node_modules' ? [] : files(path.join(dir, e.name))) : [path.join(dir, e.name)]));
}

/**
 * A cheap fingerprint of what decides a synth's templates: the name, size and modification time of every file under
 * bin/, lib/, catalog/ and lambda/ and of the lock file and the CDK settings, the context the CLI passes
 * (`CDK_CONTEXT_JSON`: cdk.json's and every `-c`), the `CDK_*` and `FLEAPO_*` environment, and the configuration
 * file named by them. Only a guess that the templates are the same: it decides whether to start the validation
 * engine early, never whether to validate.
 */
export function synthInputsFingerprint(root: string = PROJECT_ROOT, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256');
  const vars = Object.entries(env)
    .filter(([k]) => k.startsWith('CDK_') || k.startsWith('FLEAPO_'))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  hash.update(JSON.stringify(vars));
  let configFile = env.FLEAPO_CONFIG_FILE;
  try {
    configFile = (JSON.parse(env.CDK_CONTEXT_JSON ?? '{}') as Record<string, unknown>)['fleapo:configFile']?.toString() ?? configFile;
  } catch {
    // Unreadable context: the app reports it.
  }
  const inputs = [
    ...SOURCE_DIRS.flatMap((d) => files(path.join(root, d))),
    ...SOURCE_FILES.map((f) => path.join(root, f)),
    ...(configFile ? [path.resolve(root, configFile)] : []),
  ];
  for (const file of inputs) {
    let stamp = 'missing';
    try {
      const st = fs.statSync(file);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {
      // A missing file is part of the fingerprint too.
    }
    hash.update(`${path.relative(root, file)}\0${stamp}\0`);
  }
  return hash.digest('hex');
}

/** Whether the last synth into `outdir` had these inputs (so its validation report is likely cached there). */
export function sameInputsAsLastSynth(outdir: string, fingerprint: string): boolean {
  try {
    return (
      (JSON.parse(fs.readFileSync(path.join(outdir, LAST_SYNTH_FILE), 'utf8')) as { fingerprint?: string }).fingerprint === fingerprint
    );
  } catch {
    return false;
  }
}

/** Records the inputs of a synth that completed into `outdir`. */
export function recordSynthInputs(outdir: string, fingerprint: string): void {
  try {
    const file = path.join(outdir, LAST_SYNTH_FILE);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ fingerprint }));
  } catch {
    // Only a guess for the next synth.
  }
}
