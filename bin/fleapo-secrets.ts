/**
 * Entry of the `fleapo-secrets` command (package.json `bin`), built to dist/fleapo-secrets.js by
 * `npm run build:cli` (which `npm ci` / `npm install` run through `prepare`). See lib/cli/main.ts.
 */
import { main } from '../lib/cli/main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`fleapo-secrets: unexpected error: ${(error as Error)?.name ?? 'Error'}\n`);
    process.exitCode = 1;
  },
);
