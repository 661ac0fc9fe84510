/**
 * A jest reporter that fails the run when a test was skipped without being declared in test/support/declared-skips.ts
 * (file, full name and reason). A skipped test is one jest reports as `pending`, `skipped`, `todo` or `disabled`.
 * A run filtered by test name (`-t`) marks every other test skipped: no check then.
 */
const path = require('node:path');

const SKIPPED = new Set(['pending', 'skipped', 'todo', 'disabled']);

class DeclaredSkipsReporter {
  /**
   * @param {{ rootDir: string, testNamePattern?: string }} globalConfig
   * @param {{ declared?: Array<{ file: string, test: string, reason: string }> }} [options] the list (tests pass their own)
   */
  constructor(globalConfig, options = {}) {
    this.rootDir = globalConfig.rootDir;
    this.filtered = Boolean(globalConfig.testNamePattern);
    this.declared = options.declared ?? require('./declared-skips.ts').DECLARED_SKIPS;
    this.skipped = [];
    this.error = undefined;
  }

  onTestResult(test, testResult) {
    const file = path.relative(this.rootDir, testResult.testFilePath).split(path.sep).join('/');
    for (const a of testResult.testResults) if (SKIPPED.has(a.status)) this.skipped.push({ file, test: a.fullName, status: a.status });
  }

  onRunComplete() {
    const problems = [];
    for (const d of this.declared) {
      if (typeof d.reason !== 'string' || d.reason.trim() === '') problems.push(`declared skip without a reason: ${d.file}: ${d.test}`);
    }
    if (!this.filtered) {
      for (const s of this.skipped) {
        if (!this.declared.some((d) => d.file === s.file && d.test === s.test)) {
          problems.push(`undeclared skipped test (${s.status}): ${s.file}: ${s.test}`);
        }
      }
    }
    if (problems.length === 0) return;
    this.error = new Error(
      `${problems.length} skipped test(s) not declared in test/support/declared-skips.ts (file, full name, reason):\n  ${problems.join('\n  ')}`,
    );
    process.stderr.write(`\n${this.error.message}\n`);
  }

  getLastError() {
    return this.error;
  }
}

module.exports = DeclaredSkipsReporter;
