/**
 * Entry of the `fleapo-secrets` command (package.json `bin`), built to dist/fleapo-secrets.js by
 * `npm run build:cli` (which `npm ci` / `npm install` run through `prepare`). See lib/cli/main.ts.
 */
import { main } from '../lib/cli/main';

// A reader that stops early (`fleapo-secrets status --json | head`) closes the pipe: that ends the output, quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Whatever a cut-short AWS call or wait left behind (a socket, a poll timer), the command has ended: leave soon.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`fleapo-secrets: unexpected error: ${(error as Error)?.name ?? 'Error'}\n`);
    process.exitCode = 1;
  },
);
