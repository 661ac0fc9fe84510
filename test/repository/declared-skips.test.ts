import * as fs from 'node:fs';
import * as path from 'node:path';
import { DECLARED_SKIPS, DeclaredSkip } from '../support/declared-skips';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Reporter = require('../support/declared-skips-reporter.cjs') as new (
  globalConfig: { rootDir: string; testNamePattern?: string },
  options?: { declared?: DeclaredSkip[] },
) => {
  onTestResult(test: unknown, result: { testFilePath: string; testResults: { fullName: string; status: string }[] }): void;
  onRunComplete(): void;
  getLastError(): Error | undefined;
};

const ROOT = path.resolve(__dirname, '../..');
const FILE = path.join(ROOT, 'test/lambda/example.test.ts');

/** The reporter's verdict on one file's results. */
function verdict(statuses: [string, string][], declared: DeclaredSkip[] = [], testNamePattern?: string): string | undefined {
  const reporter = new Reporter({ rootDir: ROOT, testNamePattern }, { declared });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    reporter.onTestResult({}, { testFilePath: FILE, testResults: statuses.map(([fullName, status]) => ({ fullName, status })) });
    reporter.onRunComplete();
  } finally {
    stderr.mockRestore();
  }
  return reporter.getLastError()?.message;
}

test('a skipped test fails the run unless declared with its reason (test.skip, todo, the rest of a file with test.only)', () => {
  expect(verdict([['runs', 'passed']])).toBeUndefined();
  for (const status of ['pending', 'skipped', 'todo', 'disabled']) {
    expect(verdict([['left out', status]])).toContain(`undeclared skipped test (${status}): test/lambda/example.test.ts: left out`);
  }
  const declared = [{ file: 'test/lambda/example.test.ts', test: 'left out', reason: 'needs a thing only CI has' }];
  expect(verdict([['left out', 'pending']], declared)).toBeUndefined();
  expect(verdict([['another', 'pending']], declared)).toContain('undeclared skipped test (pending): test/lambda/example.test.ts: another');
  expect(verdict([['left out', 'pending']], [{ ...declared[0], reason: ' ' }])).toContain('declared skip without a reason');
  // A run filtered by name (-t) reports every other test skipped: not a finding.
  expect(verdict([['left out', 'pending']], [], 'runs')).toBeUndefined();
});

test('the reporter is registered in jest.config.js, and every declared skip names a test file that exists, with a reason', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require('../../jest.config.js') as { reporters?: unknown[] };
  expect(config.reporters).toEqual(['default', '<rootDir>/test/support/declared-skips-reporter.cjs']);
  for (const d of DECLARED_SKIPS) {
    expect(fs.existsSync(path.join(ROOT, d.file))).toBe(true);
    expect(d.reason.trim()).not.toBe('');
  }
  // The reporter's own default list is this one (loaded by Node's TypeScript support, without a transform).
  const reporter = new Reporter({ rootDir: ROOT }) as unknown as { declared: DeclaredSkip[] };
  expect(reporter.declared).toEqual(DECLARED_SKIPS);
});
