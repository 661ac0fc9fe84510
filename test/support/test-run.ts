/**
 * Where a jest run keeps its files. globalSetup (test/support/global-setup.ts) makes one directory per run and
 * points TMPDIR into it, so everything a test (or a process it starts) puts in the temp directory is inside;
 * globalTeardown fails the run if anything is left there, then removes the run's directory.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TEST_ASSEMBLY_DIR_ENV, TEST_RUN_DIR_ENV } from '../../lib/config/config-sources';

/** The run's directory (set by globalSetup). */
export const RUN_DIR_ENV = TEST_RUN_DIR_ENV;
/** The synthesized real app (default configuration, no bundling), written once per run by globalSetup. */
export const ASSEMBLY_DIR_ENV = TEST_ASSEMBLY_DIR_ENV;

/** The run's temp directory: TMPDIR of every test file's own temp directory. */
export const runTmpDir = (runDir: string): string => path.join(runDir, 'tmp');

/** Every file and directory under `dir`, relative to it (depth first; directories end with '/'). */
export function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? [`${entry.name}/`, ...listTree(full).map((p) => `${entry.name}/${p}`)] : [entry.name];
  });
}
