/**
 * Every test that may be skipped in a run, with why. The jest reporter test/support/declared-skips-reporter.cjs
 * fails a run in which any other test was skipped (`test.skip`, `it.skip`, `describe.skip`, a conditional
 * `(cond ? test : test.skip)`, `test.todo`, or the rest of a file with a `test.only`), so a test can only be left
 * out on purpose, here, with its reason. Empty today: every test of the suite runs in every environment.
 *
 * Plain, erasable TypeScript only: the reporter loads this file with Node's own TypeScript support (no transform).
 */
export interface DeclaredSkip {
  /** The test file, relative to the repository root (forward slashes). */
  file: string;
  /** The test's full name (describe blocks and test name, joined by spaces), as jest reports it. */
  test: string;
  /** Why it may be skipped, and where it does run. */
  reason: string;
}

export const DECLARED_SKIPS: DeclaredSkip[] = [];
