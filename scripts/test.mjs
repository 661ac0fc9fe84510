#!/usr/bin/env node
// npm test: the type check, the secret scan, the tracked-.env check and the linter/formatter check run beside jest
// (they are independent); their output is kept and shown only if they fail: jest's report is the output. Exits
// non-zero if any step fails.
// Arguments go to jest (npm test -- test/infra).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

/** Runs a command; resolves to its exit code, its kept output and its duration. */
function run(command, args, { quiet }) {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let output = '';
    if (quiet) for (const stream of [child.stdout, child.stderr]) stream.on('data', (d) => (output += d));
    child.on('error', (error) => resolve({ code: 1, output: `${output}${error.message}\n`, seconds: 0 }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output, seconds: (performance.now() - started) / 1000 }));
  });
}

const checks = [
  // Incremental: the build info is kept in node_modules/.cache, so an unchanged tree is checked in a second or two.
  ['tsc --noEmit', bin('tsc'), ['--noEmit', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/tsc/tsconfig.tsbuildinfo']],
  ['lint:secrets', 'npm', ['run', '--silent', 'lint:secrets']],
  ['check:env-files', 'npm', ['run', '--silent', 'check:env-files']],
  ['lint (eslint, prettier)', 'npm', ['run', '--silent', 'lint']],
];

// The checks one after another (one core), jest beside them.
const checksDone = (async () => {
  const results = [];
  for (const [name, command, args] of checks) results.push({ name, ...(await run(command, args, { quiet: true })) });
  return results;
})();
const jest = await run(bin('jest'), process.argv.slice(2), { quiet: false });
const results = await checksDone;

let failed = jest.code !== 0;
for (const r of results) {
  if (r.code === 0) {
    console.log(`${r.name}: passed (${r.seconds.toFixed(1)} s)`);
  } else {
    failed = true;
    console.log(`${r.name}: FAILED (exit ${r.code})\n${r.output}`);
  }
}
process.exit(failed ? 1 : 0);
