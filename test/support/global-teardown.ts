/** jest globalTeardown: fails the run if a test left anything in the temp directory, then removes the run's files. */
import * as fs from 'fs';
import { listTree, RUN_DIR_ENV, runTmpDir } from './test-run';

export default async function globalTeardown(): Promise<void> {
  const runDir = process.env[RUN_DIR_ENV];
  if (!runDir) return;
  // tsx keeps its transform cache in <tmp>/tsx-<uid>: shared by the CLI child processes of all test files (it goes
  // with the run's directory below). Everything else must have been cleaned up by whoever made it.
  const tsxCache = /^tsx-\d+\//;
  const left = listTree(runTmpDir(runDir)).filter((p) => !tsxCache.test(p) && !/^tsx-\d+\/$/.test(p));
  fs.rmSync(runDir, { recursive: true, force: true });
  if (left.length > 0) {
    throw new Error(
      `The test run left ${left.length} file(s) in the temp directory (clean up what a test creates):\n  ${left.slice(0, 30).join('\n  ')}`,
    );
  }
}
