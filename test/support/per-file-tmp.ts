/**
 * jest setupFilesAfterEnv: each test file gets a temp directory of its own inside the run's, removed after its last
 * test: an App synthesized without an outdir, a mkdtemp a test forgets, a bundle, all go with it. `os.tmpdir()`
 * (for the file's modules) and the file's `process.env.TMPDIR` (for the processes it starts) point to it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RUN_DIR_ENV, runTmpDir } from './test-run';

const runDir = process.env[RUN_DIR_ENV];
if (runDir) {
  const dir = fs.mkdtempSync(path.join(runTmpDir(runDir), 'file-'));
  fs.chmodSync(dir, 0o755); // embedded PostgreSQL (as the postgres OS user when root) must traverse it
  // jest gives each test file a copy of process.env, which node's os module does not read: set both (on the
  // module object itself, which every test file and library shares).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('os') as typeof import('os');
  const realTmpdir = os.tmpdir;
  os.tmpdir = () => dir;
  process.env.TMPDIR = dir;
  afterAll(() => {
    os.tmpdir = realTmpdir;
    fs.rmSync(dir, { recursive: true, force: true });
  });
}
