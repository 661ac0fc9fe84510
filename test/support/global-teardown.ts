/**
 * jest globalTeardown: stops the workers' PostgreSQL servers that are still running, fails the run if a test left
 * anything in the temp directory, then removes the run's files.
 */
import * as fs from 'fs';
import * as path from 'path';
import { listTree, RUN_DIR_ENV, runTmpDir } from './test-run';
import { WORKER_POSTGRES_PREFIX } from './postgres-server';

/** How long a worker's PostgreSQL may take to stop and remove its directory (it takes well under a second). */
const POSTGRES_STOP_DEADLINE_MS = 30_000;

/**
 * A worker's PostgreSQL (workerPostgres) stops when its worker exits; jest may get here first, and runs in-band in
 * this very process. Asks each one still there to stop (SIGTERM to the child named in its directory) and waits until
 * its directory is gone. Returns the directories that are still there at the deadline.
 */
async function stopWorkerPostgres(tmp: string): Promise<string[]> {
  const dirs = () => (fs.existsSync(tmp) ? fs.readdirSync(tmp).filter((n) => n.startsWith(WORKER_POSTGRES_PREFIX)) : []);
  for (const name of dirs()) {
    try {
      const pid = Number(fs.readFileSync(path.join(tmp, name, 'child.pid'), 'utf8'));
      // Only that child (where /proc tells): a child killed outright leaves its directory and its pid may be reused.
      const cmdline = `/proc/${pid}/cmdline`;
      if (fs.existsSync('/proc/self/cmdline') && !fs.readFileSync(cmdline, 'utf8').includes('postgres-child.mjs')) continue;
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone (its directory goes with it), or it never wrote its pid: the check below reports it
    }
  }
  const deadline = Date.now() + POSTGRES_STOP_DEADLINE_MS;
  while (dirs().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return dirs();
}

export default async function globalTeardown(): Promise<void> {
  const runDir = process.env[RUN_DIR_ENV];
  if (!runDir) return;
  await stopWorkerPostgres(runTmpDir(runDir));
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
