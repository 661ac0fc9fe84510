import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { SECRET_VALUE_PATTERNS } from '../secret-patterns';

/**
 * The repository half of `npm run lint:secrets`, next to secretlint: secretlint's recommended
 * preset has no rule for Stripe (sk_/rk_/whsec_) or PostHog (phc_/phx_/phs_) keys and scans AWS
 * access key ids only when asked, so the same patterns the synth guardrails use
 * (lib/guardrails/secret-patterns.ts) run over every file git would commit.
 */
export interface FileHit {
  readonly file: string;
  readonly line: number;
  /** Pattern id; never the matched text. */
  readonly pattern: string;
}

/** Pure: the secret-looking values of one file's text. */
export function scanText(file: string, text: string): FileHit[] {
  const hits: FileHit[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    // The same inline opt-outs secretlint honours, for a reviewed false positive.
    if (line.includes('secretlint-disable-line') || (i > 0 && lines[i - 1].includes('secretlint-disable-next-line'))) return;
    for (const p of SECRET_VALUE_PATTERNS) if (p.pattern.test(line)) hits.push({ file, line: i + 1, pattern: p.id });
  });
  return hits;
}

/** Tracked and untracked-but-not-ignored files (what `git add .` would commit). */
export function candidateFiles(repoDir: string): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repoDir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return [...new Set(out.split('\0').filter(Boolean))];
}

export function scanRepository(repoDir: string): FileHit[] {
  const hits: FileHit[] = [];
  for (const file of candidateFiles(repoDir)) {
    const full = path.join(repoDir, file);
    let buf: Buffer;
    try {
      const st = fs.statSync(full);
      if (!st.isFile() || st.size > 5 * 1024 * 1024) continue;
      buf = fs.readFileSync(full);
    } catch {
      continue; // deleted in the working tree
    }
    if (buf.includes(0)) continue; // binary
    hits.push(...scanText(file, buf.toString('utf8')));
  }
  return hits;
}

export function main(repoDir = process.cwd()): number {
  const hits = scanRepository(repoDir);
  if (hits.length === 0) {
    console.log('scan-files: no Stripe / PostHog / AWS / postgres secret-looking value in the repository.');
    return 0;
  }
  for (const h of hits) console.error(`${h.file}:${h.line}  secret-looking value (${h.pattern})`);
  console.error(
    `scan-files: ${hits.length} secret-looking value(s). Remove them; if one is real, rotate it (it stays in git history). ` +
      'Test fixtures: build fake keys at run time (see test/guardrails/fakes.ts), never as one literal.',
  );
  return 1;
}

if (require.main === module) process.exit(main());
