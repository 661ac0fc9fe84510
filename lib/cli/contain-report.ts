/** The report at the end of `fleapo-secrets contain`: a table for people, JSON for scripts. Pure; ids and times only. */
import { EXIT } from './cli-errors';
import type { ContainResult } from './commands/contain';

/**
 * The exit status of a containment that ran (cli-errors.ts EXIT): 0 when every secret is contained or only waits for
 * the operator's revoke at the issuer, 1 when one failed. (2, 3 and 4 end the command before it starts.)
 */
export function containExitCode(results: readonly ContainResult[]): number {
  return results.every((r) => r.state !== 'failed') ? EXIT.ok : EXIT.failed;
}

const cell = (text: string | undefined) => text ?? '-';

/** The terminal table: one row a secret, then per secret what failed and what the operator must still do. */
export function renderContainReport(environment: string, results: readonly ContainResult[]): string {
  const header = ['SECRET', 'STATE', 'CONTAINMENT STARTED', 'LEAKED VALUE LAST SERVED (AT MOST)', 'STOPPED BEING ACCEPTED'];
  const rows = results.map((r) => [
    r.secret,
    r.state,
    cell(r.containmentStarted),
    cell(r.leakedValueLastServed),
    cell(r.stoppedBeingAccepted) + (r.terminatedSessions !== undefined ? ` (${r.terminatedSessions} session(s) ended)` : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [`Containment of ${environment}:`, line(header), ...rows.map(line), ''];
  for (const r of results) {
    if (r.failure) out.push(`${r.secret}: FAILED ${r.failure}`);
    for (const todo of r.operatorMustStillDo) out.push(`${r.secret}: still to do: ${todo}`);
  }
  return `${out.join('\n')}\n`;
}

/** The JSON report (`--json`): `ok` as every command's JSON has it, and the exit status. */
export function containReportJson(environment: string, results: readonly ContainResult[]): string {
  const exitCode = containExitCode(results);
  return `${JSON.stringify({ ok: exitCode === EXIT.ok, environment, exitCode, secrets: results }, null, 2)}\n`;
}
