import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT, sourceFiles } from '../bundling/lambda-source-hash';
import { CONFIG_FILE_CONTEXT, CONFIG_FILE_ENV } from '../config/config-sources';

/** What a synth's templates are made from: the source files of these folders, and these files. */
const SOURCE_DIRS = ['bin', 'lib', 'catalog', 'lambda'];
const SOURCE_FILES = ['package-lock.json', 'cdk.json', 'cdk.context.json', 'tsconfig.json'];
/** Where the fingerprint of the last synth into a cloud assembly is kept, inside it. */
export const LAST_SYNTH_FILE = '.fleapo-cache/last-synth-inputs.json';

/**
 * A cheap fingerprint of what decides a synth's templates: the name, size and modification time of every source file
 * under bin/, lib/, catalog/ and lambda/ and of the lock file and the CDK settings, the context the CLI passes
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
  let configFile = env[CONFIG_FILE_ENV];
  try {
    configFile = (JSON.parse(env.CDK_CONTEXT_JSON ?? '{}') as Record<string, unknown>)[CONFIG_FILE_CONTEXT]?.toString() ?? configFile;
  } catch {
    // Unreadable context: the app reports it.
  }
  const inputs = [
    ...SOURCE_DIRS.flatMap((d) => sourceFiles(path.join(root, d))),
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
