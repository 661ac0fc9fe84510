/**
 * jest globalSetup: one directory per run for temp files and the real app's assembly, synthesized once here (every
 * check on) for the test files that read the default app (test/infra/synthesized-app.ts); the validation cache that
 * every test synth shares (node_modules/.cache/fleapo, unless FLEAPO_VALIDATION_CACHE_DIR says otherwise).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createFleapoApp } from '../../lib/fleapo-app';
import { VALIDATION_CACHE_DIR_ENV } from '../../lib/validation/cached-cloudformation-validate-plugin';
import { ValidationWorker } from '../../lib/validation/validation-worker';
import { ASSEMBLY_DIR_ENV, RUN_DIR_ENV, runTmpDir } from './test-run';

export default async function globalSetup(): Promise<void> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-test-run-'));
  fs.chmodSync(runDir, 0o755); // embedded PostgreSQL runs as the postgres OS user when root: it must traverse it
  fs.mkdirSync(runTmpDir(runDir), { mode: 0o755 });
  process.env[RUN_DIR_ENV] = runDir;
  // Workers are started after globalSetup and inherit these.
  process.env.TMPDIR = runTmpDir(runDir);
  // Kept between runs (keyed by everything that decides a report: a changed template is validated again).
  process.env[VALIDATION_CACHE_DIR_ENV] ??= path.join(__dirname, '..', '..', 'node_modules', '.cache', 'fleapo', 'cloudformation-validate');
  // The AWS SDK's "node >=22 from 2027" banner is about this machine's Node, not a test result.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

  const assemblyDir = path.join(runDir, 'assembly');
  try {
    createFleapoApp({ outdir: assemblyDir, context: { 'aws:cdk:bundling-stacks': [] } }).synth();
    process.env[ASSEMBLY_DIR_ENV] = assemblyDir;
  } catch {
    // A failing app is reported by the tests that synthesize it themselves (they do when this is unset).
  } finally {
    await ValidationWorker.stop(); // not needed again in this process
  }
}
