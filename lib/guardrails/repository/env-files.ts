import { execFileSync } from 'child_process';
import * as path from 'path';

/** The only `.env*` file that may be committed: placeholders, no values. */
export const ALLOWED_ENV_FILES = new Set(['.env.example']);

/** True for `.env`, `.env.local`, `.env.production`, `prod.env`, ... (not `.env.example`). */
export function isForbiddenEnvFile(filePath: string): boolean {
  const base = path.posix.basename(filePath.replace(/\\/g, '/'));
  if (ALLOWED_ENV_FILES.has(base)) return false;
  return /^\.env(?:\..+)?$/.test(base) || /\.env$/.test(base);
}

/** Paths tracked by git in `repoDir` (index included: a `git add`ed file counts). */
export function trackedFiles(repoDir: string): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached'], { cwd: repoDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.split('\0').filter(Boolean);
}

/** The tracked `.env` files of a repository (runbook: "Never commit .env* files"). */
export function trackedEnvFiles(repoDir: string): string[] {
  return trackedFiles(repoDir).filter(isForbiddenEnvFile);
}

/** CLI: `npm run check:env-files` (exit 1 and the list when any `.env` file is tracked). */
export function main(repoDir = process.cwd()): number {
  const bad = trackedEnvFiles(repoDir);
  if (bad.length === 0) {
    console.log('check:env-files: no .env file is tracked by git (only .env.example is allowed).');
    return 0;
  }
  console.error('check:env-files: these .env files are tracked by git; secrets must never be committed:');
  for (const f of bad) console.error(`  ${f}`);
  console.error(
    'Fix: `git rm --cached <file>` (keep it locally; .gitignore ignores .env*), and if it ever held a real value, ' +
      'rotate that secret (runbook, "Rotation playbook"): it stays in git history.',
  );
  return 1;
}

if (require.main === module) process.exit(main());
